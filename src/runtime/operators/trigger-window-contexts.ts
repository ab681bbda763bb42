/**
 * The contexts of the trigger window operator: what its trigger (and evictor) sees of the current
 * key and window, and the ProcessWindowFunction's context with windowState()/globalState().
 */
import { WeirError } from '../../errors.js';
import { TimeWindow, type WindowAssignerContext } from '../../api/windows.js';
import type { ProcessWindowContext } from '../../api/functions.js';
import type { OutputTag } from '../../api/output-tag.js';
import type { State, StateDescriptor } from '../../api/state.js';
import type { OnMergeContext } from '../../api/windowing/triggers.js';
import type { EvictorContext } from '../../api/windowing/evictors.js';
import { windowToNamespace, type Window } from '../../api/windowing/window.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { OperatorContext } from './operator.js';
import type { InternalTimerService } from './timer-service.js';
import { GlobalStateStore, NamespacedStates, WindowStateStore } from './window-state-store.js';

/** The context of triggers (and of their onMerge): the operator's current key and window. */
export class TriggerWindowContext implements OnMergeContext, EvictorContext {
  window: Window = new TimeWindow(0, 0);
  ns = '';
  mergedWindows: Window[] = [];
  readonly states: NamespacedStates;
  constructor(
    private readonly opCtx: OperatorContext,
    private readonly timers: InternalTimerService<string>,
    backend: KeyedStateBackend,
  ) {
    this.states = new NamespacedStates(backend);
  }
  set(window: Window): this {
    this.window = window;
    this.ns = windowToNamespace(window);
    return this;
  }
  getCurrentProcessingTime(): number {
    return this.opCtx.processingTimeService.getCurrentProcessingTime();
  }
  getCurrentWatermark(): number {
    return this.timers.currentWatermark();
  }
  registerProcessingTimeTimer(time: number): void {
    this.timers.registerProcessingTimeTimer(this.ns, time);
  }
  registerEventTimeTimer(time: number): void {
    this.timers.registerEventTimeTimer(this.ns, time);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.timers.deleteProcessingTimeTimer(this.ns, time);
  }
  deleteEventTimeTimer(time: number): void {
    this.timers.deleteEventTimeTimer(this.ns, time);
  }
  getPartitionedState<S extends State>(descriptor: StateDescriptor<S>): S {
    this.states.namespace = this.ns;
    return this.states.get(descriptor);
  }
  mergePartitionedState(descriptor: StateDescriptor): void {
    if (this.mergedWindows.length === 0) return;
    const h = this.states.handle(descriptor);
    if (h.mergeNamespaces === undefined) throw new WeirError('WEIR_INTERNAL', `state '${descriptor.name}' cannot merge namespaces`);
    h.setNamespace(this.ns);
    h.mergeNamespaces(this.ns, this.mergedWindows.map(windowToNamespace));
  }
}

/** The ProcessWindowFunction's context (Flink's ProcessWindowFunction.Context). */
export class ProcessContext implements ProcessWindowContext<Window>, WindowAssignerContext {
  w: Window = new TimeWindow(0, 0);
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
  window(): Window {
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
  windowState(): WindowStateStore {
    this.perWindow.namespace = windowToNamespace(this.w);
    return this.windowStore;
  }
  globalState(): GlobalStateStore {
    return this.globalStore;
  }
}
