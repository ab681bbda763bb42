/**
 * Windows beyond time windows (Flink's Window, GlobalWindow) and the assigners that need the
 * trigger-driven window operator: GlobalWindows (one window per key, fired only by its trigger) and
 * DynamicEventTimeSessionWindows / DynamicProcessingTimeSessionWindows (a session gap per element).
 */
import { WeirError } from '../../errors.js';
import { MAX_WATERMARK } from '../time.js';
import { TimeWindow, type WindowAssigner, type WindowAssignerContext } from '../windows.js';
import { EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger, Trigger, TriggerResult, type TriggerContext } from './triggers.js';

/** A window: TimeWindow or GlobalWindow. Elements with timestamps up to maxTimestamp() belong to it. */
export interface Window {
  maxTimestamp(): number;
}

/** The one window of GlobalWindows: it never ends (its maxTimestamp is the end of time). */
export class GlobalWindow implements Window {
  private static readonly INSTANCE = new GlobalWindow();
  private constructor() {}
  static get(): GlobalWindow {
    return GlobalWindow.INSTANCE;
  }
  maxTimestamp(): number {
    return MAX_WATERMARK;
  }
  equals(other: unknown): boolean {
    return other instanceof GlobalWindow;
  }
  toString(): string {
    return 'GlobalWindow';
  }
}

/**
 * An assigner the trigger-driven window operator runs: it may assign any Window, may look at the
 * element, and names its default trigger.
 */
export interface TriggerWindowAssigner {
  readonly isEventTime: boolean;
  readonly isMerging: boolean;
  readonly needsTriggerOperator: true;
  assignWindows(timestamp: number, ctx: WindowAssignerContext, element: unknown): Window[];
  getDefaultTrigger(): Trigger;
  describe(): string;
}

export type AnyWindowAssigner = WindowAssigner | TriggerWindowAssigner;

export function isTriggerAssigner(a: AnyWindowAssigner): a is TriggerWindowAssigner {
  return (a as Partial<TriggerWindowAssigner>).needsTriggerOperator === true;
}

/** The trigger a window assigner uses when none is set (Flink's getDefaultTrigger). */
export function defaultTrigger(a: AnyWindowAssigner): Trigger {
  if (isTriggerAssigner(a)) return a.getDefaultTrigger();
  return a.isEventTime ? EventTimeTrigger.create() : ProcessingTimeTrigger.create();
}

class GlobalWindowsAssigner implements TriggerWindowAssigner {
  readonly isEventTime = false;
  readonly isMerging = false;
  readonly needsTriggerOperator = true;
  private readonly windows = [GlobalWindow.get()];
  constructor(private readonly endOfStream: boolean) {}
  assignWindows(): Window[] {
    return this.windows;
  }
  getDefaultTrigger(): Trigger {
    return this.endOfStream ? new EndOfStreamTrigger() : new NeverTrigger();
  }
  describe(): string {
    return 'GlobalWindows()';
  }
}

/** Fires the global window once, when the input ends (event time reaches its end). */
class EndOfStreamTrigger extends Trigger {
  onElement(_e: unknown, _ts: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }
  onEventTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  clear(): void {}
  override toString(): string {
    return 'EndOfStreamTrigger()';
  }
}

/**
 * All elements of a key in one window that only a custom trigger fires (Flink's GlobalWindows);
 * createWithEndOfStreamTrigger() fires it once when a bounded input ends.
 */
export const GlobalWindows = {
  create: (): TriggerWindowAssigner => new GlobalWindowsAssigner(false),
  createWithEndOfStreamTrigger: (): TriggerWindowAssigner => new GlobalWindowsAssigner(true),
};

/** The session gap of one element, in ms (Flink's SessionWindowTimeGapExtractor). */
export type SessionWindowTimeGapExtractor<T> = ((element: T) => number) | { extract(element: T): number };

class DynamicSession implements TriggerWindowAssigner {
  readonly isMerging = true;
  readonly needsTriggerOperator = true;
  private readonly extract: (element: unknown) => number;
  constructor(
    readonly isEventTime: boolean,
    extractor: SessionWindowTimeGapExtractor<unknown>,
  ) {
    if (typeof extractor === 'function') this.extract = extractor;
    else if (extractor !== null && typeof extractor === 'object' && typeof extractor.extract === 'function')
      this.extract = (e) => extractor.extract(e);
    else
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        'withDynamicGap needs a SessionWindowTimeGapExtractor (a function or an object with extract(element))',
      );
  }
  assignWindows(timestamp: number, ctx: WindowAssignerContext, element: unknown): Window[] {
    const gap = this.extract(element);
    if (typeof gap !== 'number' || !(gap > 0)) {
      throw new WeirError(
        'WEIR_USER_FUNCTION',
        `Dynamic session time gap must be a positive number of ms, the extractor returned ${String(gap)}`,
      );
    }
    const t = this.isEventTime ? timestamp : ctx.currentProcessingTime();
    return [new TimeWindow(t, t + gap)];
  }
  getDefaultTrigger(): Trigger {
    return this.isEventTime ? EventTimeTrigger.create() : ProcessingTimeTrigger.create();
  }
  describe(): string {
    return `Dynamic${this.isEventTime ? 'EventTime' : 'ProcessingTime'}SessionWindows()`;
  }
}

export const DynamicEventTimeSessionWindows = {
  withDynamicGap: <T>(extractor: SessionWindowTimeGapExtractor<T>): TriggerWindowAssigner =>
    new DynamicSession(true, extractor as SessionWindowTimeGapExtractor<unknown>),
};
export const DynamicProcessingTimeSessionWindows = {
  withDynamicGap: <T>(extractor: SessionWindowTimeGapExtractor<T>): TriggerWindowAssigner =>
    new DynamicSession(false, extractor as SessionWindowTimeGapExtractor<unknown>),
};

/** The namespace of a window in keyed state and timers (time windows as the default window operator writes them). */
export function windowToNamespace(w: Window): string {
  if (w instanceof TimeWindow) return `${w.start}:${w.end}`;
  if (w instanceof GlobalWindow) return 'global';
  throw new WeirError('WEIR_INTERNAL', `unknown window type ${String(w)}`);
}

export function namespaceToWindow(ns: string): Window {
  if (ns === 'global') return GlobalWindow.get();
  const i = ns.indexOf(':', 1);
  return new TimeWindow(Number(ns.slice(0, i)), Number(ns.slice(i + 1)));
}
