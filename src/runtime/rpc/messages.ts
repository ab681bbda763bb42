/**
 * Every message that crosses a thread or process boundary, declared once: TaskManager ↔ slot
 * worker, JobMaster ↔ source coordinator, JobManager ↔ TaskManager, TaskManager ↔ TaskManager
 * (frames). Each is a TypeBox schema and its type is `Static<>` of it (one name for both), so a
 * message cannot drift from what its receiver checks. Messages that cross a process boundary are
 * checked when they arrive (validate.ts compiles these schemas) and carry PROTOCOL_VERSION.
 */
import { Type, type Static } from 'typebox';
import type { ExecutionRecord } from '../../api/execution-context.js';
import { JobGraph, StreamGraphDefaults } from '../../graph/graph-schema.js';
import { MetricGroupDump } from '../../metrics/dump-schema.js';
import {
  Binary,
  Bool,
  CheckpointingMode,
  Dict,
  Hex64,
  Int,
  List,
  Name,
  Nullable,
  Num,
  OneOf,
  Port,
  SerializedError,
  Str,
  Tagged,
} from '../../schema.js';

export { BLOB_CHUNK_BYTES, PROTOCOL_VERSION } from './protocol.js';

const Path = Str(10_000);
const JobId = Name(128);
const Attempt = Int(0);
const Subtask = Int(0, 1 << 20);
const CheckpointId = Int(1);
const Parallelism = Int(1, 1 << 20);

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

// ---------------------------------------------------------------- between threads of one process

/** TaskManager → slot worker. */
export const ToSlotWorker = Tagged('type', [
  Type.Object({
    type: Type.Literal('init'),
    deployment: JobDeployment,
    workerAddress: Str(1000),
    /** Name → path of the TaskManager's copy for this job attempt. */
    cachedFiles: Type.Optional(Dict(Path)),
  }),
  Type.Object({ type: Type.Literal('deploy'), task: TaskDeploymentDescriptor }),
  Type.Object({ type: Type.Literal('cancel') }),
  Type.Object({ type: Type.Literal('connect'), peer: Str(1000), port: Port }),
  Type.Object({ type: Type.Literal('splits'), vertexId: Name(), subtask: Subtask, splits: List(SourceSplit), noMoreSplits: Bool }),
  Type.Object({
    type: Type.Literal('triggerCheckpoint'),
    vertexId: Name(),
    subtask: Subtask,
    checkpointId: CheckpointId,
    timestamp: Int(0),
    mode: CheckpointingMode,
    options: Type.Optional(CheckpointOptions),
  }),
  /** To every task of the worker. */
  Type.Object({ type: Type.Literal('checkpointNotification'), checkpointId: CheckpointId, kind: CheckpointNotificationKind }),
]);
export type ToSlotWorker = Static<typeof ToSlotWorker>;

/** A task's answer to a checkpoint, and a source's end of data (it waits for a final checkpoint); `job` adds the job's fields. */
const checkpointReports = <P extends Record<string, typeof JobId | typeof Attempt>>(job: P) =>
  [
    Type.Object({
      type: Type.Literal('acknowledgeCheckpoint'),
      ...job,
      vertexId: Name(),
      subtask: Subtask,
      checkpointId: CheckpointId,
      handle: SubtaskStateHandle,
      metrics: SubtaskCheckpointMetrics,
    }),
    Type.Object({
      type: Type.Literal('declineCheckpoint'),
      ...job,
      vertexId: Name(),
      subtask: Subtask,
      checkpointId: CheckpointId,
      reason: Str(100_000),
    }),
    Type.Object({ type: Type.Literal('endOfData'), ...job, vertexId: Name(), subtask: Subtask }),
  ] as const;

export const CheckpointReport = Tagged('type', [...checkpointReports({})]);
export type CheckpointReport = Static<typeof CheckpointReport>;

/** Slot worker → TaskManager. */
export const FromSlotWorker = Tagged('type', [
  Type.Object({ type: Type.Literal('ready') }),
  Type.Object({ type: Type.Literal('initFailed'), error: SerializedError }),
  Type.Object({
    type: Type.Literal('taskState'),
    vertexId: Name(),
    subtask: Subtask,
    state: ExecutionState,
    error: Type.Optional(SerializedError),
    metrics: Type.Optional(TaskMetrics),
  }),
  Type.Object({ type: Type.Literal('requestConnection'), peer: Str(1000) }),
  Type.Object({ type: Type.Literal('sourceEvent'), operatorId: Name(), vertexId: Name(), subtask: Subtask, event: SourceEventKind }),
  Type.Object({
    type: Type.Literal('collect'),
    collectId: Str(1000),
    values: Type.Array(Type.Unknown()),
    vertexId: Type.Optional(Name()),
    subtask: Type.Optional(Subtask),
  }),
  /** print()'s lines: on the port, so they are written before the task's FINISHED report is forwarded. */
  Type.Object({ type: Type.Literal('print'), text: Str(), toStderr: Bool }),
  /** The sampled metrics of the worker's tasks, every second (never per record). */
  Type.Object({ type: Type.Literal('metrics'), groups: List(MetricGroupDump, 100_000) }),
  ...checkpointReports({}),
]);
export type FromSlotWorker = Static<typeof FromSlotWorker>;

/** JobMaster → source coordinator worker. */
export const ToCoordinator = Tagged('type', [
  /** `restored`: the split enumerators' states of the checkpoint restored from, by source operator id. */
  Type.Object({ type: Type.Literal('init'), deployment: JobDeployment, restored: Type.Optional(Dict(Type.Unknown())) }),
  Type.Object({ type: Type.Literal('sourceEvent'), operatorId: Name(), subtask: Subtask, event: SourceEventKind }),
  /** Snapshot every split enumerator (answered by `snapshot` or `snapshotFailed`, after every assignment made before it). */
  Type.Object({ type: Type.Literal('snapshot'), checkpointId: CheckpointId }),
  Type.Object({ type: Type.Literal('close') }),
]);
export type ToCoordinator = Static<typeof ToCoordinator>;

/** Source coordinator worker → JobMaster. */
export const FromCoordinator = Tagged('type', [
  Type.Object({ type: Type.Literal('ready') }),
  Type.Object({ type: Type.Literal('initFailed'), error: SerializedError }),
  Type.Object({ type: Type.Literal('assign'), operatorId: Name(), subtask: Subtask, splits: List(SourceSplit) }),
  Type.Object({ type: Type.Literal('noMoreSplits'), operatorId: Name(), subtask: Subtask }),
  Type.Object({ type: Type.Literal('snapshot'), checkpointId: CheckpointId, states: Dict(Type.Unknown()) }),
  Type.Object({ type: Type.Literal('snapshotFailed'), checkpointId: CheckpointId, error: SerializedError }),
  Type.Object({ type: Type.Literal('failed'), error: SerializedError }),
]);
export type FromCoordinator = Static<typeof FromCoordinator>;

// ---------------------------------------------------------------- JobManager ↔ TaskManager

/** JobManager → TaskManager (a method call in the local cluster, a frame on the RPC connection in a real one). */
export const ToTaskManager = Tagged('type', [
  Type.Object({ type: Type.Literal('submitTask'), deployment: JobDeployment, slot: Int(0, 1 << 16), task: TaskDeploymentDescriptor }),
  Type.Object({
    type: Type.Literal('splits'),
    jobId: JobId,
    attempt: Attempt,
    vertexId: Name(),
    subtask: Subtask,
    splits: List(SourceSplit),
    noMoreSplits: Bool,
  }),
  Type.Object({
    type: Type.Literal('triggerCheckpoint'),
    jobId: JobId,
    attempt: Attempt,
    vertexId: Name(),
    subtask: Subtask,
    checkpointId: CheckpointId,
    timestamp: Int(0),
    mode: CheckpointingMode,
    options: Type.Optional(CheckpointOptions),
  }),
  /** To every task of the job attempt on the TaskManager. */
  Type.Object({
    type: Type.Literal('checkpointNotification'),
    jobId: JobId,
    attempt: Attempt,
    checkpointId: CheckpointId,
    kind: CheckpointNotificationKind,
  }),
  Type.Object({ type: Type.Literal('releaseJob'), jobId: JobId, attempt: Type.Optional(Attempt) }),
]);
export type ToTaskManager = Static<typeof ToTaskManager>;

/** TaskManager → JobManager. */
export const ToJobManager = Tagged('type', [
  /** The TaskManager's metrics and its tasks' latest samples, every metrics.fetcher.update-interval (Flink's MetricFetcher pulls them). */
  Type.Object({ type: Type.Literal('metrics'), tmId: Name(), groups: List(MetricGroupDump, 100_000) }),
  Type.Object({
    type: Type.Literal('taskState'),
    jobId: JobId,
    attempt: Attempt,
    vertexId: Name(),
    subtask: Subtask,
    state: ExecutionState,
    error: Type.Optional(SerializedError),
    metrics: Type.Optional(TaskMetrics),
  }),
  Type.Object({
    type: Type.Literal('sourceEvent'),
    jobId: JobId,
    attempt: Attempt,
    operatorId: Name(),
    vertexId: Name(),
    subtask: Subtask,
    event: SourceEventKind,
  }),
  Type.Object({
    type: Type.Literal('collect'),
    jobId: JobId,
    attempt: Attempt,
    collectId: Str(1000),
    values: Type.Array(Type.Unknown()),
    vertexId: Type.Optional(Name()),
    subtask: Type.Optional(Subtask),
  }),
  ...checkpointReports({ jobId: JobId, attempt: Attempt }),
]);
export type ToJobManager = Static<typeof ToJobManager>;

// ---------------------------------------------------------------- over TCP (see transport.ts)

export const TaskManagerHardware = Type.Object({
  cpuCores: Int(0),
  physicalMemory: Num,
  freeMemory: Num,
  /** The V8 heap limit of the TaskManager's process (bytes). */
  heapLimit: Type.Optional(Num),
});
export type TaskManagerHardware = Static<typeof TaskManagerHardware>;

/** TaskManager → JobManager on the RPC connection: one-way messages and requests. */
const taskManagerRpc = [
  /** Request, answered by RegistrationResponse. */
  Type.Object({
    type: Type.Literal('register'),
    tmId: Name(),
    slots: Int(1, 1 << 16),
    dataAddress: Str(300),
    hardware: Type.Optional(TaskManagerHardware),
  }),
  Type.Object({ type: Type.Literal('heartbeat') }),
  Type.Object({ type: Type.Literal('report'), msg: ToJobManager }),
  /** Request, answered by BlobChunk: up to BLOB_CHUNK_BYTES of a blob from `offset`. */
  Type.Object({ type: Type.Literal('fetchBlob'), blobId: Hex64, offset: Int(0) }),
] as const;
export const TaskManagerRpc = Tagged('type', [...taskManagerRpc]);
export type TaskManagerRpc = Static<typeof TaskManagerRpc>;

export const RegistrationResponse = Type.Object({
  type: Type.Literal('registered'),
  /** The JobManager leader's fencing token: every JobManager → TaskManager message carries it. */
  fencingToken: Str(200),
  heartbeatInterval: Int(1),
  heartbeatTimeout: Int(1),
});
export type RegistrationResponse = Static<typeof RegistrationResponse>;

export const BlobChunk = Type.Object({
  type: Type.Literal('blobChunk'),
  blobId: Hex64,
  /** Size of the whole blob in bytes. */
  size: Int(0),
  offset: Int(0),
  data: Binary,
});
export type BlobChunk = Static<typeof BlobChunk>;

/** What the JobManager's REST API asks a TaskManager about its process (its logs, a thread dump). */
export const InspectionKind = OneOf('logs', 'log', 'threadDump');
export type InspectionKind = Static<typeof InspectionKind>;

/** JobManager → TaskManager on the RPC connection; every message carries the leader's fencing token. */
export const JobManagerRpc = Tagged('type', [
  Type.Object({ type: Type.Literal('toTaskManager'), fencingToken: Str(200), msg: ToTaskManager }),
  Type.Object({ type: Type.Literal('heartbeat'), fencingToken: Str(200) }),
  /** Request, answered by TaskManagerInspection: `name` is a log file's name (what: 'log'). */
  Type.Object({ type: Type.Literal('inspect'), fencingToken: Str(200), what: InspectionKind, name: Type.Optional(Str(255)) }),
]);

const LogFile = Type.Object({ name: Str(255), size: Num, mtime: Num });
export const TaskManagerInspection = Type.Object({
  type: Type.Literal('inspection'),
  logs: Type.Optional(List(LogFile, 100_000)),
  /** A log file's end, or why it cannot be read. */
  log: Type.Optional(
    Type.Object({
      text: Type.Optional(Str()),
      truncated: Type.Optional(Bool),
      refused: Type.Optional(OneOf('bad-name', 'no-dir', 'missing')),
    }),
  ),
  threads: Type.Optional(List(Type.Object({ threadName: Str(1000), stringifiedThreadInfo: Str() }), 100_000)),
});
export type TaskManagerInspection = Static<typeof TaskManagerInspection>;
export type JobManagerRpc = Static<typeof JobManagerRpc>;

/**
 * What a TaskManager needs to fail a submitted task it cannot read: the job, attempt and task. A
 * submitTask that passes this but not JobManagerRpc fails only that task.
 */
export const UnreadableSubmitTask = Type.Object({
  type: Type.Literal('toTaskManager'),
  fencingToken: Str(200),
  msg: Type.Object({
    type: Type.Literal('submitTask'),
    deployment: Type.Object({
      jobId: JobId,
      attempt: Attempt,
      jobGraph: Type.Optional(Type.Object({ jobName: Type.Optional(Type.Unknown()) })),
    }),
    task: Type.Object({ vertexId: Name(), subtask: Subtask }),
  }),
});
export type UnreadableSubmitTask = Static<typeof UnreadableSubmitTask>;

/** Tools (cluster scripts, tests) → JobManager on the RPC port: requests. */
const clientRpc = [Type.Object({ type: Type.Literal('clusterOverview') })] as const;
export const ClientRpc = Tagged('type', [...clientRpc]);
export type ClientRpc = Static<typeof ClientRpc>;

/** What the JobManager's RPC port receives: TaskManagers' messages and tools' requests. */
export const ToJobManagerRpcPort = Tagged('type', [...taskManagerRpc, ...clientRpc]);

export const ClusterOverview = Type.Object({
  type: Type.Literal('clusterOverview'),
  taskManagers: List(Type.Object({ id: Name(), slots: Int(0), freeSlots: Int(0), dataAddress: Str(300) })),
  slotsTotal: Int(0),
  slotsAvailable: Int(0),
});
export type ClusterOverview = Static<typeof ClusterOverview>;

// ---------------------------------------------------------------- data plane

/**
 * What travels on a channel besides record batches: watermarks, watermark status, checkpoint
 * barriers, the end of data and the end of the partition. Events keep their place in the channel's
 * order relative to records; they do not consume credits (they are few and small), but never
 * overtake buffered records.
 */
export const ChannelEvent = Tagged('t', [
  Type.Object({ t: Type.Literal('wm'), v: Num }),
  Type.Object({ t: Type.Literal('status'), idle: Bool }),
  /** Checkpoint barrier: everything before it on the channel belongs to checkpoint `id`, everything after to later ones. */
  Type.Object({
    t: Type.Literal('barrier'),
    id: CheckpointId,
    timestamp: Int(0),
    mode: CheckpointingMode,
    savepoint: Type.Optional(Bool),
    stop: Type.Optional(Bool),
  }),
  /**
   * End of data (Flink's EndOfData): no more records or watermarks follow, but barriers still do, so
   * the consumer can take part in the final checkpoint before end of partition. Sent only by jobs
   * with checkpointing; without it end of partition alone ends the data.
   */
  Type.Object({ t: Type.Literal('eod') }),
  /** End of partition: the producer subtask will send nothing more on this channel. */
  Type.Object({ t: Type.Literal('eop') }),
]);
export type ChannelEvent = Static<typeof ChannelEvent>;

/** A frame on a connection between two workers; `ch` names the channel (see channelId). */
export const Frame = Tagged('k', [
  Type.Object({ k: Type.Literal('data'), ch: Str(1000), buf: Binary }),
  Type.Object({ k: Type.Literal('event'), ch: Str(1000), ev: ChannelEvent }),
  Type.Object({ k: Type.Literal('credit'), ch: Str(1000), n: Int(0) }),
]);
export type Frame = Static<typeof Frame>;

/** TaskManager ↔ TaskManager data connection: frames of the channels between worker `from` and worker `to`, in order. */
export const DataPlaneMessage = Tagged('type', [
  Type.Object({ type: Type.Literal('frames'), from: Str(1000), to: Str(1000), frames: List(Frame, 100_000) }),
]);
export type DataPlaneMessage = Static<typeof DataPlaneMessage>;
