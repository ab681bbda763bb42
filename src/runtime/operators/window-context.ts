/** The context a time window's ProcessWindowFunction (and its assigner) sees. */
import { TimeWindow, type WindowAssignerContext } from '../../api/windows.js';
import type { ProcessWindowContext } from '../../api/functions.js';
import type { OutputTag } from '../../api/output-tag.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { OperatorContext } from './operator.js';
import type { InternalTimerService } from './timer-service.js';
import { GlobalStateStore, NamespacedStates, WindowStateStore } from './window-state-store.js';
import { windowNamespace } from './window-namespace.js';

export class WindowContext implements ProcessWindowContext<TimeWindow>, WindowAssignerContext {
  w: TimeWindow = new TimeWindow(0, 0);
  private readonly perWindow: NamespacedStates;
  private readonly windowStore: WindowStateStore;
  private readonly globalStore: GlobalStateStore;
  constructor(
    private readonly opCtx: OperatorContext,
    private readonly timers: InternalTimerService<string>,
    backend: KeyedStateBackend,
  ) {
    this.perWindow = new NamespacedStates(backend);
    this.windowStore = new WindowStateStore(this.perWindow);
    this.globalStore = new GlobalStateStore(backend);
  }
  windowState(): WindowStateStore {
    this.perWindow.namespace = windowNamespace(this.w);
    return this.windowStore;
  }
  globalState(): GlobalStateStore {
    return this.globalStore;
  }
  window(): TimeWindow {
    return this.w;
  }
  currentWatermark(): number {
    return this.timers.currentWatermark();
  }
  currentProcessingTime(): number {
    return this.opCtx.processingTimeService.getCurrentProcessingTime();
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.opCtx.output.collectSide(tag, value, this.w.maxTimestamp());
  }
}
