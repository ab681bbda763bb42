/**
 * Event-time tumbling and sliding windows with an aggregate (or, for tumbling windows, reduce)
 * function, computed on slices (see slice-assigner.ts): a record is added once to the accumulator
 * of its slice; when a window's timer fires its slices are merged into a fresh accumulator, the
 * result is emitted and the slices no later window needs are cleared. One timer per key and window
 * end: a record registers the first window of its slice still to fire, and a firing window
 * registers the next one when a slice it shares with it holds data.
 *
 * State stays in the window contents state of the general operator, namespaced `${start}:${end}`
 * of the slice (for tumbling windows slice and window are the same), timers in its timer service
 * namespaced by the window, so checkpoints and savepoints keep the canonical format. A savepoint
 * from the per-window layout (contents under the window's own namespace) is still read: a firing
 * window also merges and clears the entry under its own namespace.
 *
 * Process window functions without pre-aggregation, evictors, custom triggers, allowed lateness
 * and processing time take the general window operators.
 */
import { WeirError } from '../../errors.js';
import { TimeWindow } from '../../api/windows.js';
import type { AggregateFunction, Collector, ProcessWindowContext } from '../../api/functions.js';
import type { OutputTag } from '../../api/output-tag.js';
import type { OperatorSpec } from '../../api/transformation.js';
import { AggregatingStateDescriptor, ReducingStateDescriptor, type State, type StateDescriptor } from '../../api/state.js';
import type { NamespacedState } from '../state/keyed-state-backend.js';
import { TimestampedCollector } from './keyed-process-operator.js';
import type { OperatorContext } from './operator.js';
import { CONTENTS_STATE, WindowOperatorBase } from './window-operator-base.js';
import type { InternalTimer } from './timer-service.js';
import { bindMethod, optionalMethod } from './user-function.js';
import { SliceAssigner } from './slice-assigner.js';
import { WindowContext } from './window-context.js';

type WindowSpec = Extract<OperatorSpec, { type: 'window' }>;
type AppendingState = State & { add(value: unknown): void; get(): unknown; clear(): void };
type ProcessWindowFn = (key: unknown, ctx: ProcessWindowContext<TimeWindow>, elements: unknown[], out: Collector<unknown>) => void;

/** The slicing of a window spec the sliced operator can run, or undefined (the general operator runs it). */
export function sliceAssignerFor(spec: WindowSpec): SliceAssigner | undefined {
  if (spec.trigger !== undefined || spec.evictor !== undefined) return undefined;
  if (!spec.assigner.isEventTime || spec.assigner.isMerging || spec.allowedLateness !== 0) return undefined;
  const slicing = SliceAssigner.of(spec.assigner as Parameters<typeof SliceAssigner.of>[0]);
  if (slicing === undefined) return undefined;
  if (spec.fn.kind === 'aggregate') return slicing;
  // a reduce function may change its first argument: merging stored slices with it is only safe with one slice per window
  if (spec.fn.kind === 'reduce' && slicing.slicesPerWindow === 1) return slicing;
  return undefined;
}

/** Small caches of namespace strings by start: state and timer lookups are cheaper on a string already hashed. */
class NamespaceCache {
  private readonly m = new Map<number, string>();
  constructor(private readonly length: number) {}
  get(start: number): string {
    let ns = this.m.get(start);
    if (ns === undefined) {
      if (this.m.size >= 256) this.m.clear();
      ns = `${start}:${start + this.length}`;
      this.m.set(start, ns);
    }
    return ns;
  }
}

export class SlicedWindowOperator extends WindowOperatorBase {
  private readonly slicing: SliceAssigner;
  private readonly lateDataTag: OutputTag | undefined;
  private readonly windowState: NamespacedState<AppendingState>;
  private readonly contents: AppendingState;
  private readonly agg: AggregateFunction<unknown, unknown, unknown> | undefined;
  private readonly collector: TimestampedCollector;
  private readonly context: WindowContext;
  private readonly processFn: ProcessWindowFn | undefined;
  private readonly clearFn: ((c: ProcessWindowContext<TimeWindow>) => void) | undefined;
  private readonly sliceNs: NamespaceCache;
  private readonly windowNs: NamespaceCache;

  constructor(ctx: OperatorContext, spec: WindowSpec, slicing: SliceAssigner) {
    super(ctx);
    this.slicing = slicing;
    this.lateDataTag = spec.lateDataTag;
    const fn = spec.fn;
    let descriptor: StateDescriptor;
    if (fn.kind === 'aggregate') {
      descriptor = new AggregatingStateDescriptor<unknown, unknown, unknown>(CONTENTS_STATE, fn.aggregate);
      this.agg = fn.aggregate;
      this.userFunctions = [fn.aggregate, fn.process];
    } else if (fn.kind === 'reduce') {
      descriptor = new ReducingStateDescriptor<unknown>(
        CONTENTS_STATE,
        bindMethod<(a: unknown, b: unknown) => unknown>(fn.reduce, 'reduce', 'window reduce function'),
      );
      this.agg = undefined;
      this.userFunctions = [fn.reduce, fn.process];
    } else throw new WeirError('WEIR_INTERNAL', 'sliced windows need an aggregate or reduce function');
    this.processFn = fn.process !== undefined ? bindMethod<ProcessWindowFn>(fn.process, 'process', 'ProcessWindowFunction') : undefined;
    this.clearFn = optionalMethod<(c: ProcessWindowContext<TimeWindow>) => void>(fn.process, 'clear');
    this.windowState = this.backend.getPartitionedState(descriptor as StateDescriptor<AppendingState>);
    if (this.windowState.getInternal === undefined) throw new WeirError('WEIR_INTERNAL', 'sliced windows need getInternal() on state');
    this.contents = this.windowState.state;
    this.collector = new TimestampedCollector(ctx.output);
    this.context = new WindowContext(ctx, this.timers, this.backend);
    this.sliceNs = new NamespaceCache(slicing.sliceSize);
    this.windowNs = new NamespaceCache(slicing.size);
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    if (timestamp === undefined) {
      throw this.missingTimestamp();
    }
    const s = this.slicing;
    const sliceStart = s.sliceStart(timestamp);
    const wm = this.timers.currentWatermark();
    if (s.lastWindowEnd(sliceStart) - 1 <= wm) {
      // every window of the record has fired
      if (this.lateDataTag !== undefined) this.ctx.output.collectSide(this.lateDataTag, value, timestamp);
      else this.numLateRecordsDropped++;
      return;
    }
    this.backend.setCurrentKey(this.keySelector(value));
    this.windowState.setNamespace(this.sliceNs.get(sliceStart));
    this.contents.add(value);
    let end = s.firstWindowEnd(sliceStart);
    if (end - 1 <= wm) end = s.firstWindowEndAfter(wm);
    this.timers.registerEventTimeTimer(this.windowNs.get(end - s.size), end - 1);
  }

  onEventTime(timer: InternalTimer<string>): void {
    const s = this.slicing;
    // every timer of this operator fires at its window's maxTimestamp (no allowed lateness), also
    // those restored from the general operator's layout: the window follows from the time
    const end = timer.timestamp + 1;
    const w = new TimeWindow(end - s.size, end);
    const ws = this.windowState;
    const agg = this.agg;
    // slices from `keepFrom` on are also in the next window
    const keepFrom = w.start + s.slide;
    let result: unknown;
    let acc: unknown = undefined;
    let any = false;
    let nextHasData = false;
    for (let start = w.start; start < w.end; start += s.sliceSize) {
      ws.setNamespace(this.sliceNs.get(start));
      const v = ws.getInternal!();
      if (v === undefined) continue;
      const expiring = start < keepFrom;
      if (agg === undefined)
        result = v; // reduce: one slice per window
      // merge may change its first argument: a slice that stays is merged into a fresh accumulator
      else if (any) acc = agg.merge(acc, v);
      else acc = expiring ? v : agg.merge(agg.createAccumulator(), v);
      any = true;
      if (expiring) this.contents.clear();
      else nextHasData = true;
    }
    if (s.slicesPerWindow > 1) {
      // a window saved in the per-window layout
      ws.setNamespace(this.windowNs.get(w.start));
      const v = ws.getInternal!();
      if (v !== undefined) {
        acc = any ? agg!.merge(acc, v) : v;
        any = true;
        this.contents.clear();
      }
    }
    if (any) {
      if (agg !== undefined) result = agg.getResult(acc);
      this.emit(w, result);
    }
    if (this.clearFn !== undefined) {
      this.context.w = w;
      this.clearFn(this.context);
    }
    if (nextHasData) this.timers.registerEventTimeTimer(this.windowNs.get(keepFrom), keepFrom + s.size - 1);
  }

  private emit(w: TimeWindow, result: unknown): void {
    const c = this.collector;
    c.timestamp = w.maxTimestamp();
    if (this.processFn !== undefined) {
      this.context.w = w;
      this.processFn(this.backend.getCurrentKey(), this.context, [result], c);
    } else c.collect(result);
  }

  onProcessingTime(): void {}
}
