/**
 * Messages of the JobManager's RPC port: JobManager ↔ TaskManager control (deployments, task states, checkpoints, registration, blobs, inspection) and clients (see messages.ts).
 */
import { Type, type Static } from 'typebox';

import { MetricGroupDump } from '../../metrics/dump-schema.js';
import { Binary, Bool, CheckpointingMode, Hex64, Int, List, Name, Num, OneOf, SerializedError, Str, Tagged } from '../../schema.js';
import {
  Attempt,
  CheckpointId,
  CheckpointNotificationKind,
  CheckpointOptions,
  ExecutionState,
  JobDeployment,
  JobId,
  SourceEventKind,
  SourceSplit,
  Subtask,
  TaskDeploymentDescriptor,
  TaskMetrics,
} from './message-common.js';
import { checkpointReports } from './messages-threads.js';

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
export const taskManagerRpc = [
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

export const LogFile = Type.Object({ name: Str(255), size: Num, mtime: Num });
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
export const clientRpc = [Type.Object({ type: Type.Literal('clusterOverview') })] as const;
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
