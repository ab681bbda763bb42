/**
 * Keyed windows driven by a Trigger, with an optional Evictor (Flink's WindowOperator and
 * EvictingWindowOperator): GlobalWindows, count windows, custom triggers, dynamic session gaps.
 * Window contents, trigger state and the ProcessWindowFunction's windowState() are keyed state
 * namespaced by the window; trigger timers use the same namespace. With an evictor the window keeps
 * its elements (with their timestamps) and reduce/aggregate run over what is left when it fires.
 * Results carry window.maxTimestamp().
 */
import { WeirError } from '../../errors.js';
import { MAX_WATERMARK } from '../../api/time.js';
import { TimeWindow } from '../../api/windows.js';
import type { AggregateFunction, Collector, ProcessWindowContext } from '../../api/functions.js';
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
import { canMerge, type Trigger, type TriggerResult } from '../../api/windowing/triggers.js';
import { TimestampedValue, type Evictor } from '../../api/windowing/evictors.js';
import { windowToNamespace, namespaceToWindow, type AnyWindowAssigner, type Window } from '../../api/windowing/window.js';
import type { NamespacedState } from '../state/keyed-state-backend.js';
import { TimestampedCollector } from './keyed-process-operator.js';
import type { OperatorContext } from './operator.js';
import { CONTENTS_STATE, MERGING_SET_STATE, WindowOperatorBase } from './window-operator-base.js';
import type { InternalTimer } from './timer-service.js';
import { bindMethod, optionalMethod } from './user-function.js';
import { MergingWindowSet } from './merging-window-set.js';
import { TriggerWindowContext as Context, ProcessContext } from './trigger-window-contexts.js';

type AppendingState = State & { add(value: unknown): void; get(): unknown };
type ProcessWindowFn = (key: unknown, ctx: ProcessWindowContext<Window>, elements: unknown[], out: Collector<unknown>) => void;
type ClearFn = (ctx: ProcessWindowContext<Window>) => void;
/** An element and its timestamp as an evicting window keeps them (null: no timestamp). */
type Stored = [value: unknown, timestamp: number | null];

export class TriggerWindowOperator extends WindowOperatorBase {
  private readonly assigner: AnyWindowAssigner;
  private readonly trigger: Trigger;
  private readonly evictor: Evictor | undefined;
  private readonly isEventTime: boolean;
  private readonly isMerging: boolean;
  private readonly allowedLateness: number;
  private readonly lateDataTag: OutputTag | undefined;
  private readonly windowState: NamespacedState<AppendingState>;
  private readonly contents: AppendingState;
  private readonly mergingSetState: ValueState<number[]> | undefined;
  private readonly collector: TimestampedCollector;
  private readonly triggerCtx: Context;
  private readonly processCtx: ProcessContext;
  private readonly fn: Extract<OperatorSpec, { type: 'window' }>['fn'];
  private readonly reduceFn: ((a: unknown, b: unknown) => unknown) | undefined;
  private readonly processFn: ProcessWindowFn | undefined;
  private readonly clearFn: ClearFn | undefined;

  constructor(ctx: OperatorContext, spec: Extract<OperatorSpec, { type: 'window' }>) {
    super(ctx);
    this.assigner = spec.assigner;
    this.trigger = spec.trigger as Trigger;
    this.evictor = spec.evictor as Evictor | undefined;
    this.isEventTime = spec.assigner.isEventTime;
    this.isMerging = spec.assigner.isMerging;
    this.allowedLateness = spec.allowedLateness;
    this.lateDataTag = spec.lateDataTag;
    if (this.isMerging && !canMerge(this.trigger)) {
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `A merging window assigner (${spec.assigner.describe()}) cannot be used with a trigger that does not support merging (${this.trigger.toString()})`,
      );
    }

    const fn = spec.fn;
    this.fn = fn;
    let descriptor: StateDescriptor;
    if (this.evictor !== undefined) descriptor = new ListStateDescriptor<Stored>(CONTENTS_STATE);
    else if (fn.kind === 'reduce') {
      descriptor = new ReducingStateDescriptor<unknown>(
        CONTENTS_STATE,
        bindMethod<(a: unknown, b: unknown) => unknown>(fn.reduce, 'reduce', 'window reduce function'),
      );
    } else if (fn.kind === 'aggregate')
      descriptor = new AggregatingStateDescriptor<unknown, unknown, unknown>(CONTENTS_STATE, fn.aggregate);
    else descriptor = new ListStateDescriptor<unknown>(CONTENTS_STATE);
    this.reduceFn =
      fn.kind === 'reduce' ? bindMethod<(a: unknown, b: unknown) => unknown>(fn.reduce, 'reduce', 'window reduce function') : undefined;
    this.userFunctions =
      fn.kind === 'reduce' ? [fn.reduce, fn.process] : fn.kind === 'aggregate' ? [fn.aggregate, fn.process] : [fn.process];
    this.processFn = fn.process !== undefined ? bindMethod<ProcessWindowFn>(fn.process, 'process', 'ProcessWindowFunction') : undefined;
    this.clearFn = optionalMethod<ClearFn>(fn.process, 'clear');
    this.windowState = this.backend.getPartitionedState(descriptor as StateDescriptor<AppendingState>);
    this.contents = this.windowState.state;
    if (this.isMerging) {
      if (this.windowState.mergeNamespaces === undefined) {
        throw new WeirError('WEIR_INTERNAL', 'merging windows need a state backend that can merge namespaces');
      }
      this.mergingSetState = this.backend.getState(new ValueStateDescriptor<number[]>(MERGING_SET_STATE));
    }
    this.collector = new TimestampedCollector(ctx.output);
    this.triggerCtx = new Context(ctx, this.timers, this.backend);
    this.processCtx = new ProcessContext(ctx, this.timers, this.backend);
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    if (this.isEventTime && timestamp === undefined) {
      throw this.missingTimestamp();
    }
    const ts = timestamp ?? this.processCtx.currentProcessingTime();
    const windows = this.assigner.assignWindows(ts, this.processCtx, value) as Window[];
    this.backend.setCurrentKey(this.keySelector(value));
    const stored: unknown = this.evictor !== undefined ? ([value, timestamp ?? null] satisfies Stored) : value;
    const skipped = this.isMerging
      ? this.addToMergingWindows(value, stored, timestamp, windows)
      : this.addToWindows(value, stored, timestamp, windows);
    if (skipped && this.isEventTime && ts + this.allowedLateness <= this.timers.currentWatermark()) {
      if (this.lateDataTag !== undefined) this.ctx.output.collectSide(this.lateDataTag, value, timestamp);
      else this.numLateRecordsDropped++;
    }
  }

  private addToWindows(value: unknown, stored: unknown, timestamp: number | undefined, windows: Window[]): boolean {
    let skipped = true;
    for (const w of windows) {
      if (this.isWindowLate(w)) continue;
      skipped = false;
      const tc = this.triggerCtx.set(w);
      this.windowState.setNamespace(tc.ns);
      this.contents.add(stored);
      this.afterTrigger(w, this.trigger.onElement(value, timestamp, w, tc));
      this.registerCleanupTimer(w);
    }
    return skipped;
  }

  private addToMergingWindows(value: unknown, stored: unknown, timestamp: number | undefined, windows: Window[]): boolean {
    const set = MergingWindowSet.load(this.mergingSetState!.value());
    let skipped = true;
    for (const w of windows) {
      const actual = set.addWindow(w as TimeWindow, {
        onMerge: (result, merged, stateResult, mergedState) => this.onMerge(result, merged, stateResult, mergedState),
      });
      if (this.isWindowLate(actual)) {
        set.retireWindow(actual);
        continue;
      }
      skipped = false;
      const stateWindow = set.getStateWindow(actual);
      if (stateWindow === undefined) throw new WeirError('WEIR_INTERNAL', `window ${actual.toString()} is not in the in-flight window set`);
      this.windowState.setNamespace(windowToNamespace(stateWindow));
      this.contents.add(stored);
      const tc = this.triggerCtx.set(actual);
      this.afterTrigger(actual, this.trigger.onElement(value, timestamp, actual, tc));
      this.registerCleanupTimer(actual);
    }
    this.persist(set);
    return skipped;
  }

  /** Merged windows: the trigger merges its state and timers, the merged windows' triggers and cleanup timers go. */
  private onMerge(
    mergeResult: TimeWindow,
    mergedWindows: TimeWindow[],
    stateWindowResult: TimeWindow,
    mergedStateWindows: TimeWindow[],
  ): void {
    if (this.isEventTime && this.cleanupTime(mergeResult) <= this.timers.currentWatermark()) {
      throw new WeirError('WEIR_INTERNAL', `merging produced window ${mergeResult.toString()}, already behind the watermark`);
    }
    if (!this.isEventTime && mergeResult.maxTimestamp() <= this.processCtx.currentProcessingTime()) {
      throw new WeirError('WEIR_INTERNAL', `merging produced window ${mergeResult.toString()}, already behind processing time`);
    }
    const tc = this.triggerCtx.set(mergeResult);
    tc.mergedWindows = mergedWindows;
    this.trigger.onMerge(mergeResult, tc);
    tc.mergedWindows = [];
    for (const m of mergedWindows) {
      this.trigger.clear(m, this.triggerCtx.set(m));
      this.deleteCleanupTimer(m);
    }
    if (mergedStateWindows.length > 0) {
      this.windowState.mergeNamespaces!(windowToNamespace(stateWindowResult), mergedStateWindows.map(windowToNamespace));
    }
  }

  private persist(set: MergingWindowSet): void {
    if (!set.isDirty) return;
    if (set.size === 0) this.mergingSetState!.clear();
    else this.mergingSetState!.update(set.toFlat());
  }

  /** Fires and/or purges the window whose state namespace is set. */
  private afterTrigger(w: Window, r: TriggerResult): void {
    if (r.isFire()) {
      const contents = this.contents.get();
      if (contents !== undefined && contents !== null && !(Array.isArray(contents) && contents.length === 0)) this.emit(w, contents);
    }
    if (r.isPurge()) this.contents.clear();
  }

  private emit(w: Window, contents: unknown): void {
    const c = this.collector;
    c.timestamp = w.maxTimestamp();
    this.processCtx.w = w;
    const key = this.backend.getCurrentKey();
    if (this.evictor === undefined) {
      if (this.fn.kind === 'process') this.processFn!(key, this.processCtx, contents as unknown[], c);
      else if (this.processFn !== undefined) this.processFn(key, this.processCtx, [contents], c);
      else c.collect(contents);
      return;
    }
    const records = (contents as Stored[]).map(([v, ts]) => new TimestampedValue(v, ts ?? undefined));
    this.evictor.evictBefore(records, records.length, w, this.triggerCtx);
    this.apply(
      key,
      records.map((r) => r.value),
    );
    this.evictor.evictAfter(records, records.length, w, this.triggerCtx);
    this.contents.clear();
    for (const r of records) this.contents.add([r.value, r.timestamp ?? null] satisfies Stored);
  }

  /** An evicting window's function over what is left (Flink's ReduceApply/AggregateApply window functions). */
  private apply(key: unknown, values: unknown[]): void {
    const c = this.collector;
    const fn = this.fn;
    if (fn.kind === 'process') {
      this.processFn!(key, this.processCtx, values, c);
      return;
    }
    if (values.length === 0) return;
    let result: unknown;
    if (fn.kind === 'reduce') {
      result = values[0];
      for (let i = 1; i < values.length; i++) result = this.reduceFn!(result, values[i]);
    } else {
      const agg = fn.aggregate as AggregateFunction<unknown, unknown, unknown>;
      let acc = agg.createAccumulator();
      for (const v of values) acc = agg.add(v, acc);
      result = agg.getResult(acc);
    }
    if (this.processFn !== undefined) this.processFn(key, this.processCtx, [result], c);
    else c.collect(result);
  }

  private cleanupTime(w: Window): number {
    if (!this.isEventTime) return w.maxTimestamp();
    const t = w.maxTimestamp() + this.allowedLateness;
    return t < MAX_WATERMARK ? t : MAX_WATERMARK;
  }

  private isWindowLate(w: Window): boolean {
    return this.isEventTime && this.cleanupTime(w) <= this.timers.currentWatermark();
  }

  private registerCleanupTimer(w: Window): void {
    const t = this.cleanupTime(w);
    if (t === MAX_WATERMARK) return; // windows that end with time itself are never cleaned up
    const ns = windowToNamespace(w);
    if (this.isEventTime) this.timers.registerEventTimeTimer(ns, t);
    else this.timers.registerProcessingTimeTimer(ns, t);
  }

  private deleteCleanupTimer(w: Window): void {
    const t = this.cleanupTime(w);
    if (t === MAX_WATERMARK) return;
    const ns = windowToNamespace(w);
    if (this.isEventTime) this.timers.deleteEventTimeTimer(ns, t);
    else this.timers.deleteProcessingTimeTimer(ns, t);
  }

  onEventTime(timer: InternalTimer<string>): void {
    this.onTimer(timer.namespace, timer.timestamp, true);
  }

  onProcessingTime(timer: InternalTimer<string>): void {
    this.onTimer(timer.namespace, timer.timestamp, false);
  }

  private onTimer(ns: string, time: number, eventTime: boolean): void {
    const w = namespaceToWindow(ns);
    let set: MergingWindowSet | undefined;
    if (this.isMerging) {
      set = MergingWindowSet.load(this.mergingSetState!.value());
      const stateWindow = set.getStateWindow(w as TimeWindow);
      // a timer of a window that was merged away: its trigger already moved its timers
      if (stateWindow === undefined) return;
      this.windowState.setNamespace(windowToNamespace(stateWindow));
    } else this.windowState.setNamespace(ns);
    const tc = this.triggerCtx.set(w);
    this.afterTrigger(w, eventTime ? this.trigger.onEventTime(time, w, tc) : this.trigger.onProcessingTime(time, w, tc));
    if (eventTime === this.isEventTime && time === this.cleanupTime(w)) this.clearAllState(w, set);
    if (set !== undefined) this.persist(set);
  }

  private clearAllState(w: Window, set: MergingWindowSet | undefined): void {
    this.contents.clear();
    this.trigger.clear(w, this.triggerCtx.set(w));
    if (this.clearFn !== undefined) {
      this.processCtx.w = w;
      this.clearFn(this.processCtx);
    }
    if (set !== undefined) set.retireWindow(w as TimeWindow);
  }
}
