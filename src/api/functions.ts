/**
 * The shapes of user functions. Every function may be a plain arrow function or an object /
 * class instance with the named method; rich functions add `open(ctx)` and `close()`, which the
 * runtime calls once per subtask before the first record and after the last.
 */
import type { Accumulator, DoubleCounter, Histogram, IntCounter, LongCounter } from './accumulators.js';
import type { MetricGroup } from './metrics.js';
import { currentDistributedCache, type DistributedCache } from './distributed-cache.js';
import type { OutputTag } from './output-tag.js';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  ValueState,
  ValueStateDescriptor,
} from './state.js';
import type { TimeWindow } from './windows.js';

export interface Collector<T> {
  collect(value: T): void;
}

/** What a subtask knows about itself, and where keyed state comes from. */
export interface RuntimeContext {
  getJobId(): string;
  getTaskName(): string;
  getIndexOfThisSubtask(): number;
  getNumberOfParallelSubtasks(): number;
  getMaxNumberOfParallelSubtasks(): number;
  getAttemptNumber(): number;
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
  /** The local copies of the files the program registered with env.registerCachedFile(path, name). */
  getDistributedCache(): DistributedCache;
  /**
   * Registers an accumulator under `name` for this task (Flink's addAccumulator): its values of
   * every subtask are merged into the job's result (`accumulators[name]`). A name may be added once per task.
   */
  addAccumulator<V, R>(name: string, accumulator: Accumulator<V, R>): void;
  /** The accumulator registered under `name` in this task, if any. */
  getAccumulator<V, R>(name: string): Accumulator<V, R> | undefined;
  /** The IntCounter under `name`, registered on first use. */
  getIntCounter(name: string): IntCounter;
  getLongCounter(name: string): LongCounter;
  getDoubleCounter(name: string): DoubleCounter;
  getHistogram(name: string): Histogram;
  /** The operator's metric group: register counters, gauges, meters and histograms here. */
  getMetricGroup(): MetricGroup;
}

/** Lifecycle hooks any function object may have. */
export interface RichFunction {
  open?(ctx: RuntimeContext): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** Base class for rich functions written as classes: keeps the runtime context for later use. */
export abstract class AbstractRichFunction implements RichFunction {
  private runtimeContext: RuntimeContext | undefined;
  /** Called by the runtime before open(). */
  setRuntimeContext(ctx: RuntimeContext): void {
    // The distributed cache belongs to the slot worker (one job attempt per worker): the context
    // answers from it whether or not the runtime put the accessor there itself.
    if (typeof (ctx as Partial<RuntimeContext>).getDistributedCache !== 'function') {
      Object.defineProperty(ctx, 'getDistributedCache', { value: currentDistributedCache, configurable: true });
    }
    this.runtimeContext = ctx;
  }
  getRuntimeContext(): RuntimeContext {
    if (!this.runtimeContext) throw new Error('getRuntimeContext() is only available once the function runs in a task');
    return this.runtimeContext;
  }
  open(_ctx: RuntimeContext): void | Promise<void> {}
  close(): void | Promise<void> {}
}

export type MapFunction<I, O> = ((value: I) => O) | (RichFunction & { map(value: I): O });
export type FilterFunction<T> = ((value: T) => boolean) | (RichFunction & { filter(value: T): boolean });
export type FlatMapFunction<I, O> =
  ((value: I, out: Collector<O>) => void) | (RichFunction & { flatMap(value: I, out: Collector<O>): void });
export type ReduceFunction<T> = ((a: T, b: T) => T) | (RichFunction & { reduce(a: T, b: T): T });
export type KeySelector<T, K> = (value: T) => K;

export abstract class RichMapFunction<I, O> extends AbstractRichFunction {
  abstract map(value: I): O;
}
export abstract class RichFilterFunction<T> extends AbstractRichFunction {
  abstract filter(value: T): boolean;
}
export abstract class RichFlatMapFunction<I, O> extends AbstractRichFunction {
  abstract flatMap(value: I, out: Collector<O>): void;
}

/** Timers and clocks of the current operator. Timers are per key in keyed operators. */
export interface TimerService {
  currentProcessingTime(): number;
  currentWatermark(): number;
  registerEventTimeTimer(time: number): void;
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
}

export type TimeDomain = 'EVENT_TIME' | 'PROCESSING_TIME';

export interface ProcessContext {
  /** The event timestamp of the current record, or undefined if it has none. */
  timestamp(): number | undefined;
  timerService(): TimerService;
  output<X>(tag: OutputTag<X>, value: X): void;
}
export interface KeyedProcessContext<K> extends ProcessContext {
  getCurrentKey(): K;
}
export interface OnTimerContext<K = unknown> extends KeyedProcessContext<K> {
  timeDomain(): TimeDomain;
}

/** Flink's ProcessFunction; timers are only usable when the stream is keyed. */
export abstract class ProcessFunction<I, O> extends AbstractRichFunction {
  abstract processElement(value: I, ctx: ProcessContext, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext, out: Collector<O>): void;
}
export abstract class KeyedProcessFunction<K, I, O> extends AbstractRichFunction {
  abstract processElement(value: I, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
}
export type ProcessFunctionLike<I, O> =
  | ((value: I, ctx: ProcessContext, out: Collector<O>) => void)
  | (RichFunction & {
      processElement(value: I, ctx: ProcessContext, out: Collector<O>): void;
      onTimer?(timestamp: number, ctx: OnTimerContext, out: Collector<O>): void;
    });
export type KeyedProcessFunctionLike<K, I, O> =
  | ((value: I, ctx: KeyedProcessContext<K>, out: Collector<O>) => void)
  | (RichFunction & {
      processElement(value: I, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
      onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
    });

/** Two inputs: processElement1 for the first stream of connect(), processElement2 for the second. */
export abstract class CoProcessFunction<I1, I2, O> extends AbstractRichFunction {
  abstract processElement1(value: I1, ctx: ProcessContext, out: Collector<O>): void;
  abstract processElement2(value: I2, ctx: ProcessContext, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext, out: Collector<O>): void;
}
export abstract class KeyedCoProcessFunction<K, I1, I2, O> extends AbstractRichFunction {
  abstract processElement1(value: I1, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  abstract processElement2(value: I2, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
}
export type CoProcessFunctionLike<I1, I2, O> = RichFunction & {
  processElement1(value: I1, ctx: KeyedProcessContext<never>, out: Collector<O>): void;
  processElement2(value: I2, ctx: KeyedProcessContext<never>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<never>, out: Collector<O>): void;
};
export type CoMapFunction<I1, I2, O> = RichFunction & { map1(value: I1): O; map2(value: I2): O };
export type CoFlatMapFunction<I1, I2, O> = RichFunction & {
  flatMap1(value: I1, out: Collector<O>): void;
  flatMap2(value: I2, out: Collector<O>): void;
};

/** Incremental aggregation (Flink's AggregateFunction). Accumulators may be mutated and returned. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

/** Keyed state by descriptor (Flink's KeyedStateStore): a window's own state or the key's global state. */
export interface KeyedStateStore {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
}

export interface ProcessWindowContext<W = TimeWindow> {
  window(): W;
  currentWatermark(): number;
  currentProcessingTime(): number;
  output<X>(tag: OutputTag<X>, value: X): void;
  /** State of the current key scoped to this window; clear it in the function's clear(context). */
  windowState(): KeyedStateStore;
  /** State of the current key shared by all its windows. */
  globalState(): KeyedStateStore;
}
/** Called with all elements (or the pre-aggregated result) of one window of one key. */
export abstract class ProcessWindowFunction<IN, OUT, K, W = TimeWindow> extends AbstractRichFunction {
  abstract process(key: K, context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>): void;
  /** The window is removed (after its allowed lateness): delete what windowState() holds. */
  clear(_context: ProcessWindowContext<W>): void {}
}
/** windowAll(): as ProcessWindowFunction, without a key. */
export abstract class ProcessAllWindowFunction<IN, OUT, W = TimeWindow> extends AbstractRichFunction {
  abstract process(context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>): void;
  clear(_context: ProcessWindowContext<W>): void {}
}
export type ProcessAllWindowFunctionLike<IN, OUT, W = TimeWindow> =
  | ((context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>) => void)
  | (RichFunction & { process(context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>): void });
/** Flink's WindowFunction (WindowedStream.apply): key, window, elements. */
export type WindowFunctionLike<IN, OUT, K, W = TimeWindow> =
  | ((key: K, window: W, input: IN[], out: Collector<OUT>) => void)
  | (RichFunction & { apply(key: K, window: W, input: IN[], out: Collector<OUT>): void });
/** Flink's AllWindowFunction (AllWindowedStream.apply). */
export type AllWindowFunctionLike<IN, OUT, W = TimeWindow> =
  ((window: W, input: IN[], out: Collector<OUT>) => void) | (RichFunction & { apply(window: W, input: IN[], out: Collector<OUT>): void });

export abstract class RichCoMapFunction<I1, I2, O> extends AbstractRichFunction {
  abstract map1(value: I1): O;
  abstract map2(value: I2): O;
}
export abstract class RichCoFlatMapFunction<I1, I2, O> extends AbstractRichFunction {
  abstract flatMap1(value: I1, out: Collector<O>): void;
  abstract flatMap2(value: I2, out: Collector<O>): void;
}
export type ProcessWindowFunctionLike<IN, OUT, K, W = TimeWindow> =
  | ((key: K, context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>) => void)
  | (RichFunction & { process(key: K, context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>): void });
