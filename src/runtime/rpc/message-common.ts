/**
 * Building blocks of the messages (messages.ts): ids, runtime settings, state handles, deployments, task states and metrics, shared by every boundary.
 */
import { Type, type Static } from 'typebox';
import type { ExecutionRecord } from '../../api/execution-context.js';
import { JobGraph, StreamGraphDefaults } from '../../graph/graph-schema.js';

import { Bool, CheckpointingMode, Dict, Hex64, Int, List, Name, Nullable, Num, OneOf, Str } from '../../schema.js';

export const Path = Str(10_000);
export const JobId = Name(128);
export const Attempt = Int(0);
export const Subtask = Int(0, 1 << 20);
export const CheckpointId = Int(1);
export const Parallelism = Int(1, 1 << 20);

export { CheckpointingMode };

export const TaskCheckpointSettings = Type.Object({
  mode: CheckpointingMode,
  /** The job's checkpoint directory (`<execution.checkpointing.dir>/<jobId>`), absolute; chk-<n>/ inside. */
  jobDir: Path,
});
export type TaskCheckpointSettings = Static<typeof TaskCheckpointSettings>;

/** Settings every task of a job runs with, resolved from the configuration once by the JobMaster. */
export const RuntimeSettings = Type.Object({
  runtimeMode: OneOf('STREAMING', 'BATCH'),
  /** ms; 0 flushes after every record batch processed. */
  bufferTimeout: Num,
  bufferSize: Int(1),
  buffersPerChannel: Int(1),
  floatingBuffersPerGate: Int(0),
  maxBuffersPerChannel: Int(1),
  /** taskmanager.network.in-thread-by-reference: channels within one thread pass records by reference. */
  inThreadByReference: Type.Optional(Bool),
  /** pipeline.object-reuse: records on in-thread exchanges are passed without a copy. */
  objectReuse: Type.Optional(Bool),
  autoWatermarkInterval: Num,
  /** All configuration values, for operators that read their own keys. */
  config: Dict(Type.Unknown()),
  /** Present when the job takes checkpoints (STREAMING with execution.checkpointing.interval). */
  checkpointing: Type.Optional(TaskCheckpointSettings),
});
export type RuntimeSettings = Static<typeof RuntimeSettings>;

/**
 * Where a subtask's state went in one checkpoint (Flink's TaskStateSnapshot handle): the file the
 * task wrote into chk-<n>/ (relative to that directory), or none when no operator of the chain
 * had state.
 */
export const SubtaskStateHandle = Type.Object({
  /** A name in chk-<n>/, or an absolute location (state files with entropy injection). */
  file: Nullable(Type.String({ minLength: 1, maxLength: 4000 })),
  /** Bytes written. */
  size: Int(0),
  /**
   * Files in the job's shared directory (`<jobDir>/shared`) the state refers to: the table files
   * of lsm incremental checkpoints, shared by the checkpoints that still need them.
   */
  shared: Type.Optional(List(Name(300), 1 << 20)),
  /** Bytes of the shared files referred to. */
  sharedBytes: Type.Optional(Int(0)),
  /** Bytes of the shared files this checkpoint uploaded (the others were uploaded before). */
  uploadedBytes: Type.Optional(Int(0)),
});
export type SubtaskStateHandle = Static<typeof SubtaskStateHandle>;

/** What a checkpoint is taken for; savepoints are written in the canonical format, whatever the backend. */
export const CheckpointOptions = Type.Object({
  savepoint: Type.Optional(Bool),
  /** Stop with savepoint: every task ends (FINISHED) once it has been told the savepoint completed. */
  stop: Type.Optional(Bool),
  /** Stop with savepoint --drain: the sources emit MAX_WATERMARK before the barrier. */
  drain: Type.Optional(Bool),
});
export type CheckpointOptions = Static<typeof CheckpointOptions>;

export const SubtaskCheckpointMetrics = Type.Object({
  /** Time of the synchronous part (in the mailbox). */
  syncMs: Num,
  /** Time of the asynchronous part (writing). */
  asyncMs: Num,
  /** Time between the first and the last barrier (0 for sources). */
  alignmentMs: Num,
});
export type SubtaskCheckpointMetrics = Static<typeof SubtaskCheckpointMetrics>;

export const OperatorRestore = Type.Object({
  parallelism: Parallelism,
  maxParallelism: Parallelism,
  /** State file of each former subtask, absolute; null: no state (or the subtask had finished). */
  files: List(Nullable(Path), 1 << 20),
});
export type OperatorRestore = Static<typeof OperatorRestore>;

/**
 * The state a subtask starts from (Flink's JobManagerTaskRestore): for each operator of its chain
 * found in the checkpoint, the state files of all subtasks of that operator when the checkpoint
 * was taken; the task keeps its share (its key groups, its part of the operator lists).
 */
export const TaskRestore = Type.Object({
  checkpointId: CheckpointId,
  /** The checkpoint directory, absolute. */
  dir: Path,
  operators: Dict(OperatorRestore),
});
export type TaskRestore = Static<typeof TaskRestore>;

/** A distributed cache file of a job (env.registerCachedFile), as deployments carry it. */
export const DeployedCachedFile = Type.Object({
  /** The name tasks ask for (getDistributedCache().getFile(name)). */
  name: Str(1000),
  /** SHA-256 of the stored bytes (the file, or the packed directory): its id in the BlobServer. */
  blobId: Hex64,
  executable: Bool,
  directory: Bool,
  /** The registered path's last segment: the local copy keeps it. */
  fileName: Str(1000),
  /** Where the blob is in this process; a remote TaskManager replaces it with its BlobCache's copy. */
  path: Path,
});
export type DeployedCachedFile = Static<typeof DeployedCachedFile>;

/** Fields of a deployment a client submits as given (the REST API checks them with these too). */
export const ProgramArgs = List(Str(), 10_000);
export const Cwd = Path;

/** What a slot worker needs to replay main() and run tasks of one job attempt. */
export const JobDeployment = Type.Object({
  jobId: JobId,
  attempt: Attempt,
  /** Where the bundle is in this process; a remote TaskManager replaces it with its BlobCache's copy. */
  bundlePath: Path,
  /** SHA-256 of the bundle: its id in the BlobServer. */
  bundleId: Hex64,
  programArgs: ProgramArgs,
  /** The working directory main() ran in at the client (relative paths resolve against it). */
  cwd: Cwd,
  executionIndex: Int(0),
  graphDefaults: StreamGraphDefaults,
  jobGraph: JobGraph,
  settings: RuntimeSettings,
  /** Data-plane address (host:port) of every TaskManager the job attempt runs on, by TaskManager id (distributed clusters only). */
  tmDataAddresses: Type.Optional(Dict(Str(300))),
  /** Compare only the topology when replaying (the client ran main() from differently compiled code). */
  structuralCheck: Type.Optional(Bool),
  /**
   * What main() saw of its earlier execute() calls in the client, by execution index: the replay
   * sees the same. Passed on as the client recorded it (the REST API checks it on submission).
   */
  observed: Type.Optional(Type.Array(Type.Unsafe<ExecutionRecord>(Type.Object({})))),
  /** The job's distributed cache files. */
  cachedFiles: Type.Optional(List(DeployedCachedFile, 10_000)),
});
export type JobDeployment = Static<typeof JobDeployment>;

export const TaskDeploymentDescriptor = Type.Object({
  vertexId: Name(),
  subtask: Subtask,
  /** Worker address of every subtask of every vertex: locations[vertexId][subtask]. */
  locations: Dict(List(Str(1000))),
  /** The checkpoint to restore from before any record is processed. */
  restore: Type.Optional(TaskRestore),
});
export type TaskDeploymentDescriptor = Static<typeof TaskDeploymentDescriptor>;

export const ExecutionState = OneOf(
  'CREATED',
  'SCHEDULED',
  'DEPLOYING',
  'INITIALIZING',
  'RUNNING',
  'FINISHED',
  'CANCELING',
  'CANCELED',
  'FAILED',
);
export type ExecutionState = Static<typeof ExecutionState>;

/** An accumulator's local value (api/accumulators.ts): a number, or a Histogram's counts by value. */
export const AccumulatorSnapshot = Type.Object({
  type: OneOf('IntCounter', 'LongCounter', 'DoubleCounter', 'Histogram'),
  value: Type.Union([Num, Dict(Num)]),
});

export const TaskMetrics = Type.Object({
  numRecordsIn: Num,
  numRecordsOut: Num,
  numBytesIn: Num,
  numBytesOut: Num,
  backPressuredTimeMs: Num,
  busyTimeMs: Num,
  idleTimeMs: Num,
  /** The latest second's shares (Flink's busyTimeMsPerSecond etc.), 0..1000. */
  busyTimeMsPerSecond: Type.Optional(Num),
  idleTimeMsPerSecond: Type.Optional(Num),
  backPressuredTimeMsPerSecond: Type.Optional(Num),
  /** The head operator's current input watermark, once it has one. */
  inputWatermark: Type.Optional(Num),
  /** The task's accumulators by name (when it has any). */
  accumulators: Type.Optional(Dict(AccumulatorSnapshot)),
});
export type TaskMetrics = Static<typeof TaskMetrics>;

export const SourceEventKind = OneOf('register', 'request');
export type SourceEventKind = Static<typeof SourceEventKind>;

/** A source split as messages carry it: the split's own fields travel along. */
export const SourceSplit = Type.Object({ splitId: Str(10_000) });

export const CheckpointNotificationKind = OneOf('complete', 'abort');
export type CheckpointNotificationKind = Static<typeof CheckpointNotificationKind>;
