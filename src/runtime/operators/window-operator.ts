/**
 * Keyed windows (Flink's WindowOperator with the default Event/ProcessingTimeTrigger). Window
 * contents live in keyed state namespaced by `${start}:${end}`; timers use the same string as namespace.
 * Results carry window.maxTimestamp(). Session windows keep their MergingWindowSet in keyed state,
 * and their timers are namespaced by the session's state window, which stays the same while the
 * session grows (a string already made), at the session's own maxTimestamp; a timer namespaced by
 * the session itself (as earlier versions registered them) is still understood.
 */
import { WeirError } from '../../errors.js';
import { MAX_WATERMARK } from '../../api/time.js';
import { TimeWindow, type WindowAssigner } from '../../api/windows.js';
import type { Collector, ProcessWindowContext } from '../../api/functions.js';
import type { OutputTag } from '../../api/output-tag.js';
import type { OperatorSpec } from '../../api/transformation.js';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type State,
  type StateDescriptor,
  type ValueState,
} from '../../api/state.js';
import type { NamespacedState } from '../state/keyed-state-backend.js';
import { TimestampedCollector } from './keyed-process-operator.js';
import type { OperatorContext } from './operator.js';
import { CONTENTS_STATE, MERGING_SET_STATE, WindowOperatorBase } from './window-operator-base.js';
import type { InternalTimer } from './timer-service.js';
import { bindMethod, optionalMethod } from './user-function.js';
import { MergingWindowSet, type MergeHandler } from './merging-window-set.js';
import { WindowContext } from './window-context.js';
import { parseWindowNamespace } from './window-namespace.js';

/** List, reducing and aggregating state share this shape (Flink's AppendingState). */
type AppendingState = State & { add(value: unknown): void; get(): unknown };

type ProcessWindowFn = (key: unknown, ctx: ProcessWindowContext<TimeWindow>, elements: unknown[], out: Collector<unknown>) => void;

export class WindowOperator extends WindowOperatorBase implements MergeHandler {
  private readonly assigner: WindowAssigner;
  private readonly isEventTime: boolean;
  private readonly isMerging: boolean;
  private readonly allowedLateness: number;
  private readonly lateDataTag: OutputTag | undefined;
  private readonly windowState: NamespacedState<AppendingState>;
  private readonly contents: AppendingState;
  private readonly mergingSetState: ValueState<number[]> | undefined;
  private readonly collector: TimestampedCollector;
  private readonly context: WindowContext;
  private readonly fnKind: 'reduce' | 'aggregate' | 'process';
  private readonly processFn: ProcessWindowFn | undefined;
  private readonly clearFn: ((c: ProcessWindowContext<TimeWindow>) => void) | undefined;
  /**
   * Namespace strings of recently seen windows, by start and then end (a few ends per start: a
   * session that grows keeps its start, and its state window, old and new extent are all looked up
   * per record); state and timer lookups are cheaper on a string already hashed.
   */
  private readonly namespaces = new Map<number, { prefix: string; ends: number[]; nss: string[] }>();
  /** The current key's merging window set (sessions), reloaded per record and timer rather than made anew. */
  private readonly mergeSet = MergingWindowSet.load(undefined);
  /**
   * Sessions without allowed lateness keep one timer that lags behind their end: it is registered
   * when the session opens and not moved as it grows; when it fires before the session's end it is
   * registered again at the end (see onMergingTimer). A growing session then costs no timer
   * operation per record, where moving its timer cost a deletion and a registration.
   */
  private readonly lazySessionTimers: boolean;

  constructor(ctx: OperatorContext, spec: Extract<OperatorSpec, { type: 'window' }>) {
    super(ctx);
    this.assigner = spec.assigner as WindowAssigner; // the factory sends other assigners to the trigger window operator
    this.isEventTime = spec.assigner.isEventTime;
    this.isMerging = spec.assigner.isMerging;
    this.allowedLateness = spec.allowedLateness;
    this.lazySessionTimers = this.isMerging && this.allowedLateness === 0;
    this.lateDataTag = spec.lateDataTag;
    if (!Number.isFinite(this.allowedLateness) || this.allowedLateness < 0) {
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `allowedLateness must be a non-negative number of milliseconds, got ${this.allowedLateness}`,
      );
    }

    const fn = spec.fn;
    this.fnKind = fn.kind;
    let descriptor: StateDescriptor;
    if (fn.kind === 'reduce') {
      descriptor = new ReducingStateDescriptor<unknown>(
        CONTENTS_STATE,
        bindMethod<(a: unknown, b: unknown) => unknown>(fn.reduce, 'reduce', 'window reduce function'),
      );
      this.userFunctions = [fn.reduce, fn.process];
    } else if (fn.kind === 'aggregate') {
      descriptor = new AggregatingStateDescriptor<unknown, unknown, unknown>(CONTENTS_STATE, fn.aggregate);
      this.userFunctions = [fn.aggregate, fn.process];
    } else {
      descriptor = new ListStateDescriptor<unknown>(CONTENTS_STATE);
      this.userFunctions = [fn.process];
    }
    this.processFn = fn.process !== undefined ? bindMethod<ProcessWindowFn>(fn.process, 'process', 'ProcessWindowFunction') : undefined;
    this.windowState = this.backend.getPartitionedState(descriptor as StateDescriptor<AppendingState>);
    this.contents = this.windowState.state;
    if (this.isMerging) {
      if (this.windowState.mergeNamespaces === undefined) {
        throw new WeirError('WEIR_INTERNAL', 'session windows need a state backend that can merge namespaces');
      }
      this.mergingSetState = this.backend.getState(new ValueStateDescriptor<number[]>(MERGING_SET_STATE));
    }
    this.collector = new TimestampedCollector(ctx.output);
    this.context = new WindowContext(ctx, this.timers, this.backend);
    this.clearFn = optionalMethod<(c: ProcessWindowContext<TimeWindow>) => void>(fn.process, 'clear');
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    let ts: number;
    if (this.isEventTime) {
      if (timestamp === undefined) {
        throw this.missingTimestamp();
      }
      ts = timestamp;
    } else ts = this.context.currentProcessingTime();
    const windows = this.assigner.assignWindows(ts, this.context);
    this.backend.setCurrentKey(this.keySelector(value));

    const skipped = this.isMerging ? this.addToMergingWindows(value, windows) : this.addToWindows(value, windows);
    if (skipped && this.isEventTime && ts + this.allowedLateness <= this.timers.currentWatermark()) {
      if (this.lateDataTag !== undefined) this.ctx.output.collectSide(this.lateDataTag, value, timestamp);
      else this.numLateRecordsDropped++;
    }
  }

  /** Returns true when every window was already late (the element was skipped). */
  private addToWindows(value: unknown, windows: TimeWindow[]): boolean {
    let skipped = true;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      if (this.isWindowLate(w)) continue;
      skipped = false;
      const ns = this.namespaceOf(w);
      this.windowState.setNamespace(ns);
      this.contents.add(value);
      this.onElementTrigger(w, ns);
      this.registerCleanupTimer(w, ns);
    }
    return skipped;
  }

  private addToMergingWindows(value: unknown, windows: TimeWindow[]): boolean {
    const set = this.mergeSet.reload(this.mergingSetState!.value());
    let skipped = true;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      const actual = set.addWindow(w, this);
      if (this.isWindowLate(actual)) {
        set.retireWindow(actual);
        continue;
      }
      skipped = false;
      const si = set.stateIndexOf(actual);
      if (si < 0) throw new WeirError('WEIR_INTERNAL', `window ${actual.toString()} is not in the in-flight window set`);
      const stateNs = this.namespaceFor(set.stateStartAt(si), set.stateEndAt(si));
      this.windowState.setNamespace(stateNs);
      this.contents.add(value);
      // lazy timers: a session that grew or absorbed the window already has its timer
      if (this.lazySessionTimers && actual !== w) continue;
      this.onElementTrigger(actual, stateNs);
      this.registerCleanupTimer(actual, stateNs);
    }
    this.persist(set);
    return skipped;
  }

  private namespaceOf(w: TimeWindow): string {
    return this.namespaceFor(w.start, w.end);
  }

  private namespaceFor(start: number, end: number): string {
    let hit = this.namespaces.get(start);
    if (hit !== undefined) {
      const i = hit.ends.indexOf(end);
      if (i >= 0) return hit.nss[i]!;
    } else {
      if (this.namespaces.size >= 4096) this.namespaces.clear();
      hit = { prefix: `${start}:`, ends: [], nss: [] };
      this.namespaces.set(start, hit);
    }
    // a session that grows keeps its start: only its new end is turned into digits
    const ns = hit.prefix + end;
    if (hit.ends.length >= 4) {
      hit.ends.shift();
      hit.nss.shift();
    }
    hit.ends.push(end);
    hit.nss.push(ns);
    return ns;
  }

  /** MergeHandler: move timers and state of the merged windows to the merge result. */
  onMerge(
    mergeResult: TimeWindow,
    mergedWindows: TimeWindow[],
    stateWindowResult: TimeWindow,
    mergedStateWindows: TimeWindow[],
    stateWindowsOfMerged: TimeWindow[],
  ): void {
    const maxTs = mergeResult.maxTimestamp();
    if (this.isEventTime && this.cleanupTime(mergeResult) <= this.timers.currentWatermark()) {
      throw new WeirError(
        'WEIR_INTERNAL',
        `merging produced window ${mergeResult.toString()}, already behind the watermark ${this.timers.currentWatermark()}`,
      );
    }
    if (this.lazySessionTimers) {
      // the timers of the merged sessions stay: the kept state window's brings the result's end
      this.mergeState(stateWindowResult, mergedStateWindows);
      return;
    }
    const rns = this.namespaceOf(stateWindowResult);
    // the default triggers' onMerge
    if (this.isEventTime) {
      if (maxTs > this.timers.currentWatermark()) this.timers.registerEventTimeTimer(rns, maxTs);
    } else if (maxTs > this.context.currentProcessingTime()) this.timers.registerProcessingTimeTimer(rns, maxTs);
    for (let i = 0; i < mergedWindows.length; i++) {
      const m = mergedWindows[i]!;
      const mns = this.namespaceOf(stateWindowsOfMerged[i]!);
      this.clearTriggerTimer(m, mns);
      this.deleteCleanupTimer(m, mns);
    }
    this.mergeState(stateWindowResult, mergedStateWindows);
  }

  private mergeState(stateWindowResult: TimeWindow, mergedStateWindows: TimeWindow[]): void {
    if (mergedStateWindows.length === 0) return;
    this.windowState.mergeNamespaces!(
      this.namespaceOf(stateWindowResult),
      mergedStateWindows.map((w) => this.namespaceOf(w)),
    );
  }

  private persist(set: MergingWindowSet): void {
    if (!set.isDirty) return;
    if (set.size === 0) this.mergingSetState!.clear();
    else this.mergingSetState!.update(set.toFlat());
  }

  /** Default trigger onElement: event time fires at once into a window the watermark passed (allowed lateness), else waits for maxTimestamp. */
  private onElementTrigger(w: TimeWindow, ns: string): void {
    const maxTs = w.maxTimestamp();
    if (this.isEventTime) {
      if (maxTs <= this.timers.currentWatermark()) this.fire(w);
      else this.timers.registerEventTimeTimer(ns, maxTs);
    } else this.timers.registerProcessingTimeTimer(ns, maxTs);
  }

  private clearTriggerTimer(w: TimeWindow, ns: string): void {
    if (this.isEventTime) this.timers.deleteEventTimeTimer(ns, w.maxTimestamp());
    else this.timers.deleteProcessingTimeTimer(ns, w.maxTimestamp());
  }

  private cleanupTime(w: TimeWindow): number {
    if (!this.isEventTime) return w.maxTimestamp();
    const t = w.maxTimestamp() + this.allowedLateness;
    return t < MAX_WATERMARK ? t : MAX_WATERMARK;
  }

  private isWindowLate(w: TimeWindow): boolean {
    return this.isEventTime && this.cleanupTime(w) <= this.timers.currentWatermark();
  }

  /**
   * The cleanup timer only differs from the trigger's timer at maxTimestamp for event time with
   * allowed lateness; otherwise registering it again would be a deduplicated no-op.
   */
  private registerCleanupTimer(w: TimeWindow, ns: string): void {
    if (!this.isEventTime || this.allowedLateness === 0) return;
    const t = this.cleanupTime(w);
    if (t === MAX_WATERMARK) return; // no cleanup for windows that end with time itself
    this.timers.registerEventTimeTimer(ns, t);
  }

  private deleteCleanupTimer(w: TimeWindow, ns: string): void {
    if (!this.isEventTime || this.allowedLateness === 0) return;
    const t = this.cleanupTime(w);
    if (t !== MAX_WATERMARK) this.timers.deleteEventTimeTimer(ns, t);
  }

  /** Emits the window's contents (the state namespace is already set). */
  private fire(w: TimeWindow): void {
    const contents = this.contents.get();
    if (contents === undefined) return;
    const c = this.collector;
    c.timestamp = w.maxTimestamp();
    if (this.fnKind === 'process') {
      const elements = contents as unknown[];
      if (elements.length === 0) return;
      this.context.w = w;
      this.processFn!(this.backend.getCurrentKey(), this.context, elements, c);
    } else if (this.processFn !== undefined) {
      this.context.w = w;
      this.processFn(this.backend.getCurrentKey(), this.context, [contents], c);
    } else c.collect(contents);
  }

  onEventTime(timer: InternalTimer<string>): void {
    if (this.isEventTime) this.onTimer(timer.namespace, timer.timestamp);
  }

  onProcessingTime(timer: InternalTimer<string>): void {
    if (!this.isEventTime) this.onTimer(timer.namespace, timer.timestamp);
  }

  /** A timer of the operator's own time domain: fire at maxTimestamp, clear at cleanup time (the same time unless event time with lateness). */
  private onTimer(ns: string, time: number): void {
    if (this.lazySessionTimers) {
      this.onMergingTimer(ns, time);
      return;
    }
    let w = parseWindowNamespace(ns);
    let set: MergingWindowSet | undefined;
    if (this.isMerging) {
      set = this.mergeSet.reload(this.mergingSetState!.value());
      // the namespace is the session's state window, or (an earlier layout, or a session that never
      // grew) the session itself; the two cannot be confused, as sessions never overlap
      const si = set.stateIndexOf(w);
      if (si >= 0) this.windowState.setNamespace(this.namespaceFor(set.stateStartAt(si), set.stateEndAt(si)));
      else {
        const ai = set.indexOfStateWindow(w.start, w.end);
        // a timer of a window that was merged away: its state already moved on
        if (ai < 0) return;
        w = set.windowAt(ai);
        this.windowState.setNamespace(ns);
      }
    } else this.windowState.setNamespace(ns);

    if (time === w.maxTimestamp()) this.fire(w);
    if (time === this.cleanupTime(w)) {
      this.contents.clear();
      if (this.clearFn !== undefined) {
        this.context.w = w;
        this.clearFn(this.context);
      }
      if (set !== undefined) set.retireWindow(w);
    }
    if (set !== undefined) this.persist(set);
  }

  /**
   * A lazy session timer. Its namespace is a window within one in-flight session: the session's
   * state window, an earlier extent of it (earlier versions), or the state window of a session
   * merged into it. Before the session's end it moves the session's timer there; at the end it
   * fires and clears the session; a timer of a session already gone does nothing.
   */
  private onMergingTimer(ns: string, time: number): void {
    const w = parseWindowNamespace(ns);
    const set = this.mergeSet.reload(this.mergingSetState!.value());
    const i = set.indexOfWindowContaining(w.start, w.end);
    if (i < 0) return;
    const session = set.windowAt(i);
    const stateNs = this.namespaceFor(set.stateStartAt(i), set.stateEndAt(i));
    const end = session.maxTimestamp();
    if (time < end) {
      if (this.isEventTime) this.timers.registerEventTimeTimer(stateNs, end);
      else this.timers.registerProcessingTimeTimer(stateNs, end);
      return;
    }
    if (time !== end) return;
    this.windowState.setNamespace(stateNs);
    this.fire(session);
    this.contents.clear();
    if (this.clearFn !== undefined) {
      this.context.w = session;
      this.clearFn(this.context);
    }
    set.retireWindow(session);
    this.persist(set);
  }
}
