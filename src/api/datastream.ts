/**
 * DataStream, KeyedStream and SingleOutputStreamOperator (Flink's DataStream API; WindowedStream and ConnectedStreams live beside them). Every
 * method adds a transformation to the environment and returns a new stream; nothing runs until
 * execute(). On a KeyedStream, map/filter/flatMap/process run keyed: their rich functions may use
 * keyed state, as in Flink.
 */
import { WeirError } from '../errors.js';
import type { StreamExecutionEnvironment } from './environment.js';
import { checkParallelism } from './environment.js';
import type {
  FilterFunction,
  FlatMapFunction,
  KeyedProcessFunctionLike,
  KeySelector,
  MapFunction,
  ProcessFunctionLike,
  ReduceFunction,
} from './functions.js';
import type { OutputTag } from './output-tag.js';
import { BroadcastStream, connectBroadcast, type BroadcastConnectedStream } from './broadcast.js';
import type { MapStateDescriptor } from './state.js';
import type { Sink } from './sink.js';
import { type WatermarkStrategy } from './time.js';
import type { FieldAggregation, OperatorSpec, PartitionerSpec, Transformation } from './transformation.js';
import type { TimeWindow } from './windows.js';
import { checkFn, type Inferred } from './stream-support.js';
import { WindowedStream } from './windowing/windowed-stream.js';
import { ConnectedStreams } from './connected-streams.js';

export { WindowedStream } from './windowing/windowed-stream.js';
export { ConnectedStreams } from './connected-streams.js';
import { GlobalWindows, type AnyWindowAssigner, type GlobalWindow, type Window } from './windowing/window.js';
import { countWindowOf } from './windowing/count-windows.js';
import { IntervalJoin } from './joins/interval-join.js';
import { CoGroupedStreams, JoinedStreams } from './joins/window-join.js';
import { AllWindowedStream } from './windowing/all-windowed-stream.js';
import { customPartitioner, iterationUnsupported, type Partitioner } from './partition-custom.js';

export class DataStream<T> {
  constructor(
    /** @internal */ readonly env: StreamExecutionEnvironment,
    /** @internal */ readonly transformation: Transformation,
  ) {}

  /** @internal The key selector operators on this stream are keyed by (KeyedStream only). */
  protected keySelector(): KeySelector<unknown, unknown> | undefined {
    return undefined;
  }

  /** @internal */
  protected addOperator<R>(name: string, spec: OperatorSpec): SingleOutputStreamOperator<R> {
    const t = this.env.addTransformation('physical', name, [this.transformation], spec);
    const ks = this.keySelector();
    if (ks) t.keySelectors = [ks];
    return new SingleOutputStreamOperator<R>(this.env, t);
  }

  map<R>(fn: MapFunction<T, R>): SingleOutputStreamOperator<R> {
    return this.addOperator<R>('Map', { type: 'map', fn: checkFn(fn, 'map', 'map') });
  }
  filter(fn: FilterFunction<T>): SingleOutputStreamOperator<T> {
    return this.addOperator<T>('Filter', { type: 'filter', fn: checkFn(fn, 'filter', 'filter') });
  }
  flatMap<R = Inferred>(fn: FlatMapFunction<T, R>): SingleOutputStreamOperator<R> {
    return this.addOperator<R>('Flat Map', { type: 'flatMap', fn: checkFn(fn, 'flatMap', 'flatMap') });
  }
  process<R = Inferred>(fn: ProcessFunctionLike<T, R>): SingleOutputStreamOperator<R> {
    const f = checkFn(fn, 'processElement', 'process');
    return this.keySelector()
      ? this.addOperator<R>('KeyedProcess', { type: 'keyedProcess', fn: f })
      : this.addOperator<R>('Process', { type: 'process', fn: f });
  }

  /** Partitions by key: records with equal keys go to the same subtask and share keyed state. */
  keyBy<K>(key: KeySelector<T, K> | (keyof T & string)): KeyedStream<T, K> {
    const selector: KeySelector<T, K> = typeof key === 'function' ? key : (v: T) => (v as Record<string, unknown>)[key] as K;
    if (typeof key !== 'function' && typeof key !== 'string')
      throw new WeirError('WEIR_BAD_PIPELINE', 'keyBy needs a key selector function or a field name');
    const ks = selector as KeySelector<unknown, unknown>;
    const t = this.env.addTransformation('partition', 'keyBy', [this.transformation], undefined, {
      partitioner: { kind: 'hash', keySelector: ks },
    });
    return new KeyedStream<T, K>(this.env, t, ks);
  }

  union(...others: DataStream<T>[]): DataStream<T> {
    const t = this.env.addTransformation('union', 'Union', [this.transformation, ...others.map((o) => o.transformation)], undefined);
    return new DataStream<T>(this.env, t);
  }

  connect<T2>(other: BroadcastStream<T2>): BroadcastConnectedStream<T, T2>;
  connect<T2>(other: DataStream<T2>): ConnectedStreams<T, T2>;
  connect<T2>(other: DataStream<T2> | BroadcastStream<T2>): ConnectedStreams<T, T2> | BroadcastConnectedStream<T, T2> {
    if (other instanceof BroadcastStream) return connectBroadcast<T, T2>(this.env, this, other, this.keySelector());
    return new ConnectedStreams<T, T2>(this.env, this, other);
  }

  /** Windows over the whole stream, in one subtask (Flink's windowAll). */
  windowAll<W extends Window = TimeWindow>(assigner: AnyWindowAssigner): AllWindowedStream<T, W> {
    const windowed = this.keyBy<number>(() => 0).window<W>(assigner);
    windowed.nonParallel = true;
    return new AllWindowedStream<T, W>(windowed);
  }
  countWindowAll(size: number, slide?: number): AllWindowedStream<T, GlobalWindow> {
    return countWindowOf(this.windowAll<GlobalWindow>(GlobalWindows.create()), size, slide);
  }
  /** Not supported (Flink 2.0 removed DataStream iterations): throws WEIR_ITERATION_UNSUPPORTED. */
  iterate(_maxWaitTimeMillis?: number): IterativeStream<T> {
    throw iterationUnsupported();
  }
  /** A windowed join with `other` (Flink's join(...).where(...).equalTo(...).window(...).apply(...)). */
  join<T2>(other: DataStream<T2>): JoinedStreams<T, T2> {
    return new JoinedStreams<T, T2>(this, other);
  }
  /** A windowed co-group with `other` (Flink's coGroup(...).where(...).equalTo(...).window(...).apply(...)). */
  coGroup<T2>(other: DataStream<T2>): CoGroupedStreams<T, T2> {
    return new CoGroupedStreams<T, T2>(this, other);
  }

  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): SingleOutputStreamOperator<T> {
    const t = this.env.addTransformation('physical', 'Timestamps/Watermarks', [this.transformation], {
      type: 'timestamps',
      strategy: strategy as WatermarkStrategy<unknown>,
    });
    return new SingleOutputStreamOperator<T>(this.env, t);
  }

  private partition(p: PartitionerSpec): DataStream<T> {
    return new DataStream<T>(
      this.env,
      this.env.addTransformation('partition', p.kind, [this.transformation], undefined, { partitioner: p }),
    );
  }
  /** Sends each record to the subtask `partitioner(key, numPartitions)` picks for its key (Flink's partitionCustom). */
  partitionCustom<K>(partitioner: Partitioner<K>, keySelector: KeySelector<T, K> | (keyof T & string)): DataStream<T> {
    return this.partition(customPartitioner(partitioner, keySelector));
  }
  /** Round-robin to all downstream subtasks. */
  rebalance(): DataStream<T> {
    return this.partition({ kind: 'rebalance' });
  }
  /** Round-robin to a local group of downstream subtasks. */
  rescale(): DataStream<T> {
    return this.partition({ kind: 'rescale' });
  }
  /** Every record to every downstream subtask; with MapStateDescriptors, a BroadcastStream for broadcast state. */
  broadcast(): DataStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): BroadcastStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): DataStream<T> | BroadcastStream<T> {
    if (descriptors.length > 0) return new BroadcastStream<T>(this.env, this, descriptors);
    return this.partition({ kind: 'broadcast' });
  }
  /** Everything to the first downstream subtask. */
  global(): DataStream<T> {
    return this.partition({ kind: 'global' });
  }
  /** Randomly to downstream subtasks. */
  shuffle(): DataStream<T> {
    return this.partition({ kind: 'shuffle' });
  }
  /** To the downstream subtask with the same index (needs equal parallelism). */
  forward(): DataStream<T> {
    return this.partition({ kind: 'forward' });
  }

  sinkTo(sink: Sink<T>): DataStreamSink<T> {
    if (!sink || typeof sink.createWriter !== 'function')
      throw new WeirError('WEIR_BAD_PIPELINE', 'sinkTo needs a Sink (an object with createWriter)');
    return this.addSink(`Sink: ${sink.describe()}`, { type: 'sink', sink: sink as Sink<unknown> });
  }
  /** Prints each record to the TaskManager's stdout, prefixed by `subtask>` when parallel. */
  print(prefix?: string): DataStreamSink<T> {
    return this.addSink('Print to Std. Out', { type: 'print', prefix, toStderr: false });
  }
  printToErr(prefix?: string): DataStreamSink<T> {
    return this.addSink('Print to Std. Err', { type: 'print', prefix, toStderr: true });
  }

  /**
   * Runs the pipeline and resolves with the records of this stream, in the order of a parallelism-1
   * stream (the collect sink is one subtask, as in Flink). With `limit`, the job ends once that many
   * records arrived (also for an unbounded source) and those are returned. Flink's call shapes:
   * `executeAndCollect()`, `executeAndCollect(limit)`, `executeAndCollect(jobName)`, `executeAndCollect(jobName, limit)`.
   */
  executeAndCollect(limit?: number): Promise<T[]>;
  executeAndCollect(jobName: string, limit?: number): Promise<T[]>;
  async executeAndCollect(nameOrLimit?: string | number, maybeLimit?: number): Promise<T[]> {
    const jobName = typeof nameOrLimit === 'string' ? nameOrLimit : 'DataStream Collect';
    const limit = typeof nameOrLimit === 'number' ? nameOrLimit : maybeLimit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
      throw new WeirError('WEIR_BAD_PIPELINE', `executeAndCollect: the limit must be a positive integer, got ${String(limit)}`);
    if (nameOrLimit !== undefined && typeof nameOrLimit !== 'string' && typeof nameOrLimit !== 'number')
      throw new WeirError('WEIR_BAD_PIPELINE', `executeAndCollect: expected a job name or a limit, got ${typeof nameOrLimit}`);
    const collectId = this.env.nextCollectId();
    const sink = this.addSink('Collect Sink', { type: 'collect', collectId, ...(limit !== undefined ? { limit } : {}) });
    sink.transformation.parallelism = 1;
    const result = await this.env.execute(jobName);
    const rows = (result.collected[collectId] ?? []) as T[];
    return limit === undefined ? rows : rows.slice(0, limit);
  }

  private addSink(name: string, spec: OperatorSpec): DataStreamSink<T> {
    // Flink's addSink(SinkFunction) reaches this private method from JavaScript: say so clearly.
    if (typeof name !== 'string')
      throw new WeirError(
        'WEIR_UNSUPPORTED_API',
        "DataStream.addSink() is part of Flink's DataStream API but is not supported by Weir: use sinkTo() with a Sink; SinkFunctions are the legacy sink API",
      );
    const t = this.env.addTransformation('physical', name, [this.transformation], spec);
    const ks = this.keySelector();
    if (ks) t.keySelectors = [ks];
    this.env.registerSink(t);
    return new DataStreamSink<T>(t);
  }
}

/** Flink's IterativeStream, declared so that ported programs compile; iterate() throws WEIR_ITERATION_UNSUPPORTED. */
export interface IterativeStream<T> extends DataStream<T> {
  closeWith(feedbackStream: DataStream<T>): DataStream<T>;
}

/** A stream produced by an operator: it can be named, given a uid and a parallelism. */
export class SingleOutputStreamOperator<T> extends DataStream<T> {
  name(name: string): this {
    this.transformation.name = name;
    return this;
  }
  uid(uid: string): this {
    if (!uid) throw new WeirError('WEIR_BAD_PIPELINE', 'uid must be a non-empty string');
    this.transformation.uid = uid;
    return this;
  }
  setDescription(description: string): this {
    this.transformation.description = description;
    return this;
  }
  setParallelism(parallelism: number): this {
    checkParallelism(parallelism, `setParallelism on '${this.transformation.name}'`);
    const op = this.transformation.operator;
    const src = op?.type === 'source' ? op.source : undefined;
    if (src?.fixedParallelism !== undefined && src.fixedParallelism !== parallelism) {
      throw new WeirError('WEIR_BAD_PIPELINE', `'${this.transformation.name}' is not parallel: its parallelism is ${src.fixedParallelism}`);
    }
    this.transformation.parallelism = parallelism;
    return this;
  }
  setMaxParallelism(maxParallelism: number): this {
    checkParallelism(maxParallelism, 'setMaxParallelism');
    this.transformation.maxParallelism = maxParallelism;
    return this;
  }
  disableChaining(): this {
    this.transformation.chainingStrategy = 'NEVER';
    return this;
  }
  startNewChain(): this {
    this.transformation.chainingStrategy = 'HEAD';
    return this;
  }
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    const t = this.env.addTransformation('sideOutput', `SideOutput(${tag.id})`, [this.transformation], undefined, { outputTag: tag });
    return new DataStream<X>(this.env, t);
  }
}

export class DataStreamSink<T> {
  declare readonly __type?: T;
  constructor(/** @internal */ readonly transformation: Transformation) {}
  name(name: string): this {
    this.transformation.name = name;
    return this;
  }
  uid(uid: string): this {
    this.transformation.uid = uid;
    return this;
  }
  setParallelism(parallelism: number): this {
    checkParallelism(parallelism, `setParallelism on '${this.transformation.name}'`);
    this.transformation.parallelism = parallelism;
    return this;
  }
  disableChaining(): this {
    this.transformation.chainingStrategy = 'NEVER';
    return this;
  }
}

export class KeyedStream<T, K> extends DataStream<T> {
  constructor(
    env: StreamExecutionEnvironment,
    transformation: Transformation,
    private readonly selector: KeySelector<unknown, unknown>,
  ) {
    super(env, transformation);
  }
  protected override keySelector(): KeySelector<unknown, unknown> {
    return this.selector;
  }
  /** @internal */
  getKeySelector(): KeySelector<T, K> {
    return this.selector as KeySelector<T, K>;
  }

  override process<R = Inferred>(fn: KeyedProcessFunctionLike<K, T, R>): SingleOutputStreamOperator<R> {
    return this.addOperator<R>('KeyedProcess', { type: 'keyedProcess', fn: checkFn(fn, 'processElement', 'process') });
  }
  /** A rolling reduction per key: emits the reduced value after every record (only the final one in BATCH mode). */
  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T> {
    return this.addOperator<T>('Keyed Reduce', { type: 'keyedReduce', fn: checkFn(fn, 'reduce', 'reduce') });
  }
  sum(field?: keyof T | number): SingleOutputStreamOperator<T> {
    return this.aggregation({ kind: 'sum', field: field as string | number | undefined });
  }
  min(field?: keyof T | number): SingleOutputStreamOperator<T> {
    return this.aggregation({ kind: 'min', field: field as string | number | undefined });
  }
  max(field?: keyof T | number): SingleOutputStreamOperator<T> {
    return this.aggregation({ kind: 'max', field: field as string | number | undefined });
  }
  minBy(field?: keyof T | number): SingleOutputStreamOperator<T> {
    return this.aggregation({ kind: 'minBy', field: field as string | number | undefined });
  }
  maxBy(field?: keyof T | number): SingleOutputStreamOperator<T> {
    return this.aggregation({ kind: 'maxBy', field: field as string | number | undefined });
  }
  private aggregation(a: FieldAggregation): SingleOutputStreamOperator<T> {
    return this.addOperator<T>(`Keyed Aggregation (${a.kind}${a.field === undefined ? '' : ` ${String(a.field)}`})`, {
      type: 'keyedAggregation',
      aggregation: a,
    });
  }
  window<W extends Window = TimeWindow>(assigner: AnyWindowAssigner): WindowedStream<T, K, W> {
    if (!assigner || typeof assigner.assignWindows !== 'function')
      throw new WeirError('WEIR_BAD_PIPELINE', 'window() needs a window assigner such as TumblingEventTimeWindows.of(...)');
    return new WindowedStream<T, K, W>(this, assigner);
  }
  /** Windows of `size` elements per key; with `slide`, sliding by `slide` elements (Flink's countWindow). */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    return countWindowOf(this.window<GlobalWindow>(GlobalWindows.create()), size, slide);
  }
  /** Joins this keyed stream with `other` on the key, for pairs whose timestamps are within `between(lower, upper)`. */
  intervalJoin<T2>(other: KeyedStream<T2, K>): IntervalJoin<T, T2, K> {
    return new IntervalJoin<T, T2, K>(this, other);
  }
}
