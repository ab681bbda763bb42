/**
 * The parts of the graph that travel to the JobManager and to every TaskManager, declared as
 * TypeBox schemas (see src/schema.ts): the JobGraph, the defaults a StreamGraph is built with, the
 * partitioner kinds. job-graph.ts, stream-graph.ts and distribution.ts export the derived types.
 */
import { Type, type Static } from 'typebox';
import type { OperatorType } from '../api/transformation.js';
import { Bool, Int, List, Name, Num, OneOf, Str } from '../schema.js';

export const PartitionerKind = OneOf('forward', 'rebalance', 'rescale', 'broadcast', 'global', 'shuffle', 'hash', 'custom');
export type PartitionerKind = Static<typeof PartitionerKind>;

/** What a StreamGraph is built with where the program does not say (travels with every deployment). */
export const StreamGraphDefaults = Type.Object({
  parallelism: Int(1),
  maxParallelism: Int(1),
  runtimeMode: OneOf('STREAMING', 'BATCH'),
});
export type StreamGraphDefaults = Static<typeof StreamGraphDefaults>;

export const ChainedOutput = Type.Object({
  /** Operator id of the chained successor. */
  target: Name(),
  inputIndex: Int(0),
  /** Side-output tag id, when this output carries a side output. */
  tag: Type.Optional(Str(1000)),
});
export type ChainedOutput = Static<typeof ChainedOutput>;

export const JobOperator = Type.Object({
  id: Name(),
  uid: Type.Optional(Str(10_000)),
  name: Str(10_000),
  /** The operator's kind; the replayed StreamGraph decides which exist. */
  type: Type.Unsafe<OperatorType>(Str(100)),
  description: Str(),
  keyed: Bool,
  chainedOutputs: List(ChainedOutput),
  /** Ids of network edges leaving this operator. */
  networkOutputs: List(Name()),
  /** A collect sink's limit: the JobMaster ends the job once that many records arrived. */
  collectLimit: Type.Optional(Type.Object({ collectId: Str(1000), limit: Num })),
});
export type JobOperator = Static<typeof JobOperator>;

export const JobVertex = Type.Object({
  id: Name(),
  name: Str(10_000),
  parallelism: Int(1, 1 << 20),
  maxParallelism: Int(1, 1 << 20),
  /** In chain order; the first is the head. */
  operators: List(JobOperator, 10_000),
  /** Network edges into the head operator. */
  inputs: List(Name()),
  isSource: Bool,
});
export type JobVertex = Static<typeof JobVertex>;

export const JobEdge = Type.Object({
  id: Name(),
  sourceVertex: Name(),
  sourceOperator: Name(),
  targetVertex: Name(),
  targetOperator: Name(),
  inputIndex: Int(0),
  partitioner: PartitionerKind,
  tag: Type.Optional(Str(1000)),
});
export type JobEdge = Static<typeof JobEdge>;

export const JobGraph = Type.Object({
  jobName: Str(10_000),
  type: OneOf('STREAMING', 'BATCH'),
  /** Topology, settings and the source text of every user function. */
  fingerprint: Str(200),
  /** Topology and settings only: for programs whose client code was compiled differently from the bundle. */
  structureFingerprint: Str(200),
  vertices: List(JobVertex, 100_000),
  edges: List(JobEdge, 100_000),
});
export type JobGraph = Static<typeof JobGraph>;
