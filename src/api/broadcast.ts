/**
 * Broadcast state (Flink's "Broadcast State Pattern"): `stream.broadcast(descriptor...)` makes a
 * BroadcastStream whose records reach every subtask of the operator it is connected to;
 * `connect(broadcastStream).process(fn)` runs a BroadcastProcessFunction (or, on a keyed stream,
 * a KeyedBroadcastProcessFunction). The broadcast side may write the broadcast state (a map per
 * MapStateDescriptor, the same on every subtask when the function updates it deterministically);
 * the data side only reads it. The state is part of checkpoints and savepoints and is restored
 * whole on every subtask, whatever the new parallelism.
 */
import { WeirError } from '../errors.js';
import type { StreamExecutionEnvironment } from './environment.js';
import type { DataStream, KeyedStream } from './datastream.js';
import { SingleOutputStreamOperator } from './datastream.js';
import {
  AbstractRichFunction,
  type Collector,
  type KeySelector,
  type RichFunction,
  type TimeDomain,
  type TimerService,
} from './functions.js';
import type { OutputTag } from './output-tag.js';
import type { MapStateDescriptor, State, StateDescriptor } from './state.js';

/** The broadcast state as the data side sees it (Flink's ReadOnlyBroadcastState). */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  /** The entries, as a copy: changing it does not change the state. */
  immutableEntries(): [K, V][];
  entries(): [K, V][];
  keys(): K[];
  values(): V[];
  isEmpty(): boolean;
  size(): number;
}

/** The broadcast state as the broadcast side sees it (Flink's BroadcastState). */
export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  putAll(entries: Iterable<[K, V]> | Map<K, V>): void;
  remove(key: K): void;
  clear(): void;
}

interface BaseContext {
  /** The event timestamp of the current record, or undefined. */
  timestamp(): number | undefined;
  currentProcessingTime(): number;
  currentWatermark(): number;
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Context of processElement: the broadcast state, read only. */
export interface ReadOnlyContext extends BaseContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}
/** Context of processBroadcastElement: the broadcast state, writable. */
export interface BroadcastContext extends BaseContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
}

/** Flink's KeyedStateFunction: called per key that has state under the descriptor. */
export type KeyedStateFunction<K, S extends State> = ((key: K, state: S) => void) | { process(key: K, state: S): void };

export interface KeyedReadOnlyContext<K> extends ReadOnlyContext {
  getCurrentKey(): K;
  timerService(): TimerService;
}
export interface KeyedBroadcastContext<K> extends BroadcastContext {
  /** Runs `fn` for every key of this subtask that has state under `descriptor` (Flink's applyToKeyedState). */
  applyToKeyedState<S extends State>(descriptor: StateDescriptor<S>, fn: KeyedStateFunction<K, S>): void;
}
export interface KeyedBroadcastOnTimerContext<K> extends KeyedReadOnlyContext<K> {
  timeDomain(): TimeDomain;
}

/** Flink's BroadcastProcessFunction: on a non-keyed stream connected to a broadcast stream. */
export abstract class BroadcastProcessFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: ReadOnlyContext, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: BroadcastContext, out: Collector<OUT>): void;
}

/** Flink's KeyedBroadcastProcessFunction: keyed state and timers on the data side, applyToKeyedState on the broadcast side. */
export abstract class KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: KeyedReadOnlyContext<K>, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: KeyedBroadcastContext<K>, out: Collector<OUT>): void;
  onTimer?(timestamp: number, ctx: KeyedBroadcastOnTimerContext<K>, out: Collector<OUT>): void;
}

export type BroadcastProcessFunctionLike<IN1, IN2, OUT> = RichFunction & {
  processElement(value: IN1, ctx: ReadOnlyContext, out: Collector<OUT>): void;
  processBroadcastElement(value: IN2, ctx: BroadcastContext, out: Collector<OUT>): void;
};
export type KeyedBroadcastProcessFunctionLike<K, IN1, IN2, OUT> = RichFunction & {
  processElement(value: IN1, ctx: KeyedReadOnlyContext<K>, out: Collector<OUT>): void;
  processBroadcastElement(value: IN2, ctx: KeyedBroadcastContext<K>, out: Collector<OUT>): void;
  onTimer?(timestamp: number, ctx: KeyedBroadcastOnTimerContext<K>, out: Collector<OUT>): void;
};

/** A stream whose records go to every subtask, with the broadcast state descriptors they maintain. */
export class BroadcastStream<T> {
  constructor(
    /** @internal */ readonly env: StreamExecutionEnvironment,
    /** @internal */ readonly stream: DataStream<T>,
    /** @internal */ readonly descriptors: MapStateDescriptor<unknown, unknown>[],
  ) {
    if (descriptors.length === 0)
      throw new WeirError('WEIR_BAD_PIPELINE', 'broadcast(descriptor...) needs at least one MapStateDescriptor for the broadcast state');
    const names = new Set<string>();
    for (const d of descriptors) {
      if (d === null || typeof d !== 'object' || d.kind !== 'map')
        throw new WeirError('WEIR_BAD_PIPELINE', 'broadcast(descriptor...): broadcast state is described by MapStateDescriptors');
      if (names.has(d.name)) throw new WeirError('WEIR_BAD_PIPELINE', `broadcast(): the broadcast state '${d.name}' is named twice`);
      names.add(d.name);
    }
  }
}

/** A (keyed or not) data stream connected to a broadcast stream. */
export class BroadcastConnectedStream<IN1, IN2> {
  constructor(
    private readonly env: StreamExecutionEnvironment,
    /** @internal */ readonly nonBroadcast: DataStream<IN1>,
    /** @internal */ readonly broadcastStream: BroadcastStream<IN2>,
    private readonly keySelector: KeySelector<unknown, unknown> | undefined,
  ) {}

  process<OUT>(
    fn: KeyedBroadcastProcessFunctionLike<never, IN1, IN2, OUT> | BroadcastProcessFunctionLike<IN1, IN2, OUT>,
  ): SingleOutputStreamOperator<OUT> {
    for (const m of ['processElement', 'processBroadcastElement']) {
      if (fn === null || typeof fn !== 'object' || typeof (fn as unknown as Record<string, unknown>)[m] !== 'function') {
        throw new WeirError(
          'WEIR_BAD_PIPELINE',
          'process() on a broadcast-connected stream needs a (Keyed)BroadcastProcessFunction: an object with processElement and processBroadcastElement',
        );
      }
    }
    const keyed = this.keySelector !== undefined;
    if (!keyed && fn instanceof KeyedBroadcastProcessFunction)
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        'a KeyedBroadcastProcessFunction needs a keyed stream: call keyBy() before connect(broadcastStream)',
      );
    if (keyed && fn instanceof BroadcastProcessFunction)
      throw new WeirError('WEIR_BAD_PIPELINE', 'on a keyed stream connected to a broadcast stream, use a KeyedBroadcastProcessFunction');
    const bc = this.broadcastStream;
    const bcPartition = this.env.addTransformation('partition', 'broadcast', [bc.stream.transformation], undefined, {
      partitioner: { kind: 'broadcast' },
    });
    const t = this.env.addTransformation(
      'physical',
      keyed ? 'Co-Process-Broadcast-Keyed' : 'Co-Process-Broadcast',
      [this.nonBroadcast.transformation, bcPartition],
      {
        type: 'broadcastProcess',
        fn,
        keyed,
        descriptors: bc.descriptors,
      },
    );
    if (this.keySelector) t.keySelectors = [this.keySelector, undefined];
    return new SingleOutputStreamOperator<OUT>(this.env, t);
  }
}

/** @internal Used by DataStream.connect. */
export function connectBroadcast<IN1, IN2>(
  env: StreamExecutionEnvironment,
  data: DataStream<IN1> | KeyedStream<IN1, unknown>,
  bc: BroadcastStream<IN2>,
  keySelector: KeySelector<unknown, unknown> | undefined,
): BroadcastConnectedStream<IN1, IN2> {
  if (bc.env !== env) throw new WeirError('WEIR_BAD_PIPELINE', 'connect(): the broadcast stream belongs to another environment');
  return new BroadcastConnectedStream<IN1, IN2>(env, data, bc, keySelector);
}
