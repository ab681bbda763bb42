/**
 * What the DataStream API builds: a DAG of transformations (Flink's Transformation). Physical
 * transformations become operators; `partition`, `union` and `sideOutput` are virtual and only
 * shape the edges of the StreamGraph. The API builds these and nothing else; the runtime reads
 * them (operator specs name the user functions the runtime calls).
 */
import type { OutputTag } from './output-tag.js';
import type { Source } from './source.js';
import type { Sink } from './sink.js';
import type { WatermarkStrategy } from './time.js';
import type { AnyWindowAssigner } from './windowing/window.js';
import type { AggregateFunction, KeySelector } from './functions.js';
import type { AsyncRetryStrategy } from './async.js';
import type { MapStateDescriptor } from './state.js';

export type PartitionerSpec =
  | { kind: 'forward' }
  | { kind: 'rebalance' }
  | { kind: 'rescale' }
  | { kind: 'broadcast' }
  | { kind: 'global' }
  | { kind: 'shuffle' }
  | { kind: 'hash'; keySelector: KeySelector<unknown, unknown> }
  /** partitionCustom: `partitioner(key, numPartitions)` picks the consumer subtask. */
  | { kind: 'custom'; partitioner: (key: unknown, numPartitions: number) => number; keySelector: KeySelector<unknown, unknown> };

export type ChainingStrategy = 'ALWAYS' | 'HEAD' | 'NEVER';

/** Field aggregation of KeyedStream.sum/min/max/minBy/maxBy. */
export interface FieldAggregation {
  kind: 'sum' | 'min' | 'max' | 'minBy' | 'maxBy';
  /** A property name, or an index for tuples (arrays); undefined aggregates the value itself. */
  field: string | number | undefined;
}

export type WindowFunctionSpec =
  | { kind: 'reduce'; reduce: unknown; process?: unknown }
  | { kind: 'aggregate'; aggregate: AggregateFunction<unknown, unknown, unknown>; process?: unknown }
  | { kind: 'process'; process: unknown };

/** The operator a physical transformation becomes, with the user functions it calls. */
export type OperatorSpec =
  | { type: 'source'; source: Source<unknown>; watermarkStrategy: WatermarkStrategy<unknown> | undefined }
  | { type: 'timestamps'; strategy: WatermarkStrategy<unknown> }
  | { type: 'map'; fn: unknown }
  | { type: 'filter'; fn: unknown }
  | { type: 'flatMap'; fn: unknown }
  | { type: 'process'; fn: unknown }
  | { type: 'keyedProcess'; fn: unknown }
  | { type: 'keyedReduce'; fn: unknown }
  | { type: 'keyedAggregation'; aggregation: FieldAggregation }
  | {
      type: 'window';
      assigner: AnyWindowAssigner;
      allowedLateness: number;
      lateDataTag: OutputTag | undefined;
      fn: WindowFunctionSpec;
      /** Set (a Trigger) when the trigger-driven window operator runs this window: a custom trigger or evictor, or an assigner that needs it. */
      trigger?: unknown;
      /** An Evictor: the window keeps its elements and the function runs on what is left. */
      evictor?: unknown;
    }
  | { type: 'coMap'; fn: unknown }
  | { type: 'coFlatMap'; fn: unknown }
  | { type: 'coProcess'; fn: unknown }
  | { type: 'keyedCoProcess'; fn: unknown }
  /** Bounds in ms relative to the left element's timestamp, already made inclusive. */
  | { type: 'intervalJoin'; lowerBound: number; upperBound: number; leftLateTag?: OutputTag; rightLateTag?: OutputTag; fn: unknown }
  | { type: 'sink'; sink: Sink<unknown> }
  /** AsyncDataStream: `timeout` 0 means none; `retry` absent means no retries. */
  | { type: 'asyncWait'; fn: unknown; ordered: boolean; timeout: number; capacity: number; retry: AsyncRetryStrategy<unknown> | undefined }
  /** connect(broadcastStream).process(..): input 0 the data stream (keyed or not), input 1 the broadcast stream. */
  | { type: 'broadcastProcess'; fn: unknown; keyed: boolean; descriptors: MapStateDescriptor<unknown, unknown>[] }
  | { type: 'print'; prefix: string | undefined; toStderr: boolean }
  /** `limit`: the job ends once this many records were collected (executeAndCollect(limit)). */
  | { type: 'collect'; collectId: string; limit?: number };

export type OperatorType = OperatorSpec['type'];

export type TransformationKind = 'physical' | 'partition' | 'union' | 'sideOutput';

export class Transformation {
  /** Unique within its environment, in creation order; the basis of derived operator ids. */
  readonly id: number;
  name: string;
  uid: string | undefined;
  description: string | undefined;
  /** undefined: the environment's default parallelism. */
  parallelism: number | undefined;
  maxParallelism: number | undefined;
  chainingStrategy: ChainingStrategy = 'ALWAYS';
  /** Key selectors of the keyed inputs of this operator (state and timers are scoped by them). */
  keySelectors: (KeySelector<unknown, unknown> | undefined)[] = [];

  constructor(
    id: number,
    readonly kind: TransformationKind,
    name: string,
    readonly inputs: Transformation[],
    readonly operator: OperatorSpec | undefined,
    readonly partitioner: PartitionerSpec | undefined = undefined,
    readonly outputTag: OutputTag | undefined = undefined,
  ) {
    this.id = id;
    this.name = name;
    this.uid = undefined;
    this.description = undefined;
    this.parallelism = undefined;
    this.maxParallelism = undefined;
  }

  get isKeyed(): boolean {
    return this.keySelectors.some((k) => k !== undefined);
  }
}
