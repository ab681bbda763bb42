/**
 * Every control-plane message, in one place: TaskManager ↔ slot worker, JobMaster ↔ source
 * coordinator, JobManager ↔ TaskManager. Messages are plain data; those that cross a process
 * boundary are validated when they arrive (see validate.ts) and carry PROTOCOL_VERSION.
 */
import type { MessagePort } from 'node:worker_threads';
import type { CheckpointingMode, ExecutionRecord } from '../../api/execution-context.js';
import type { SourceSplit } from '../../api/source.js';
import type { SerializedError } from '../../errors.js';
import type { JobGraph } from '../../graph/job-graph.js';
import type { StreamGraphDefaults } from '../../graph/stream-graph.js';
import type { Frame } from '../network/events.js';

export const PROTOCOL_VERSION = 1;

/** Settings every task of a job runs with, resolved from the configuration once by the JobMaster. */
export interface RuntimeSettings {
  runtimeMode: 'STREAMING' | 'BATCH';
  /** ms; 0 flushes after every record batch processed. */
  bufferTimeout: number;
  bufferSize: number;
  buffersPerChannel: number;
  floatingBuffersPerGate: number;
  maxBuffersPerChannel: number;
  autoWatermarkInterval: number;
  /** All configuration values, for operators that read their own keys. */
  config: Record<string, unknown>;
  /** Present when the job takes checkpoints (STREAMING with execution.checkpointing.interval). */
  checkpointing?: TaskCheckpointSettings;
}

export type { CheckpointingMode };

export interface TaskCheckpointSettings {
  mode: CheckpointingMode;
  /** The job's checkpoint directory (`<execution.checkpointing.dir>/<jobId>`), absolute; chk-<n>/ inside. */
  jobDir: string;
}

/**
 * Where a subtask's state went in one checkpoint (Flink's TaskStateSnapshot handle): the file the
 * task wrote into chk-<n>/ (relative to that directory), or none when no operator of the chain
 * had state.
 */
export interface SubtaskStateHandle {
  file: string | null;
  /** Bytes written. */
  size: number;
  /**
   * Files in the job's shared directory (`<jobDir>/shared`) the state refers to: the table files
   * of lsm incremental checkpoints, shared by the checkpoints that still need them.
   */
  shared?: string[];
  /** Bytes of the shared files referred to. */
  sharedBytes?: number;
  /** Bytes of the shared files this checkpoint uploaded (the others were uploaded before). */
  uploadedBytes?: number;
}

/** What a checkpoint is taken for; savepoints are written in the canonical format, whatever the backend. */
export interface CheckpointOptions {
  savepoint?: boolean;
  /** Stop with savepoint: every task ends (FINISHED) once it has been told the savepoint completed. */
  stop?: boolean;
  /** Stop with savepoint --drain: the sources emit MAX_WATERMARK before the barrier. */
  drain?: boolean;
}

export interface SubtaskCheckpointMetrics {
  /** Time of the synchronous part (in the mailbox). */
  syncMs: number;
  /** Time of the asynchronous part (writing). */
  asyncMs: number;
  /** Time between the first and the last barrier (0 for sources). */
  alignmentMs: number;
}

/**
 * The state a subtask starts from (Flink's JobManagerTaskRestore): for each operator of its chain
 * found in the checkpoint, the state files of all subtasks of that operator when the checkpoint
 * was taken; the task keeps its share (its key groups, its part of the operator lists).
 */
export interface TaskRestore {
  checkpointId: number;
  /** The checkpoint directory, absolute. */
  dir: string;
  operators: Record<string, OperatorRestore>;
}

export interface OperatorRestore {
  parallelism: number;
  maxParallelism: number;
  /** State file of each former subtask, absolute; null: no state (or the subtask had finished). */
  files: (string | null)[];
}

/** A distributed cache file of a job (env.registerCachedFile), as deployments carry it. */
export interface DeployedCachedFile {
  /** The name tasks ask for (getDistributedCache().getFile(name)). */
  name: string;
  /** SHA-256 of the stored bytes (the file, or the packed directory): its id in the BlobServer. */
  blobId: string;
  executable: boolean;
  directory: boolean;
  /** The registered path's last segment: the local copy keeps it. */
  fileName: string;
  /** Where the blob is in this process; a remote TaskManager replaces it with its BlobCache's copy. */
  path: string;
}

/** What a slot worker needs to replay main() and run tasks of one job attempt. */
export interface JobDeployment {
  jobId: string;
  attempt: number;
  /** Where the bundle is in this process; a remote TaskManager replaces it with its BlobCache's copy. */
  bundlePath: string;
  /** SHA-256 of the bundle: its id in the BlobServer. */
  bundleId: string;
  programArgs: string[];
  /** The working directory main() ran in at the client (relative paths resolve against it). */
  cwd: string;
  executionIndex: number;
  graphDefaults: StreamGraphDefaults;
  jobGraph: JobGraph;
  settings: RuntimeSettings;
  /** Data-plane address (host:port) of every TaskManager the job attempt runs on, by TaskManager id (distributed clusters only). */
  tmDataAddresses?: Record<string, string>;
  /** Compare only the topology when replaying (the client ran main() from differently compiled code). */
  structuralCheck?: boolean;
  /** What main() saw of its earlier execute() calls in the client, by execution index: the replay sees the same. */
  observed?: ExecutionRecord[];
  /** The job's distributed cache files. */
  cachedFiles?: DeployedCachedFile[];
}

export interface TaskDeploymentDescriptor {
  vertexId: string;
  subtask: number;
  /** Worker address of every subtask of every vertex: locations[vertexId][subtask]. */
  locations: Record<string, string[]>;
  /** The checkpoint to restore from before any record is processed. */
  restore?: TaskRestore;
}

export type ExecutionState =
  'CREATED' | 'SCHEDULED' | 'DEPLOYING' | 'INITIALIZING' | 'RUNNING' | 'FINISHED' | 'CANCELING' | 'CANCELED' | 'FAILED';

export interface TaskMetrics {
  numRecordsIn: number;
  numRecordsOut: number;
  numBytesIn: number;
  numBytesOut: number;
  backPressuredTimeMs: number;
}

export type SourceEventKind = 'register' | 'request';

/** TaskManager → slot worker. */
export type ToSlotWorker =
  /** `cachedFiles`: name → path of the TaskManager's copy for this job attempt. */
  | { type: 'init'; deployment: JobDeployment; workerAddress: string; cachedFiles?: Record<string, string> }
  | { type: 'deploy'; task: TaskDeploymentDescriptor }
  | { type: 'cancel' }
  | { type: 'connect'; peer: string; port: MessagePort }
  | { type: 'splits'; vertexId: string; subtask: number; splits: SourceSplit[]; noMoreSplits: boolean }
  | {
      type: 'triggerCheckpoint';
      vertexId: string;
      subtask: number;
      checkpointId: number;
      timestamp: number;
      mode: CheckpointingMode;
      options?: CheckpointOptions;
    }
  /** To every task of the worker. */
  | { type: 'checkpointNotification'; checkpointId: number; kind: CheckpointNotificationKind };

export type CheckpointNotificationKind = 'complete' | 'abort';

/** Slot worker → TaskManager. */
export type FromSlotWorker =
  | { type: 'ready' }
  | { type: 'initFailed'; error: SerializedError }
  | { type: 'taskState'; vertexId: string; subtask: number; state: ExecutionState; error?: SerializedError; metrics?: TaskMetrics }
  | { type: 'requestConnection'; peer: string }
  | { type: 'sourceEvent'; operatorId: string; vertexId: string; subtask: number; event: SourceEventKind }
  | { type: 'collect'; collectId: string; values: unknown[]; vertexId?: string; subtask?: number }
  /** print()'s lines: on the port, so they are written before the task's FINISHED report is forwarded. */
  | { type: 'print'; text: string; toStderr: boolean }
  | CheckpointReport;

/** A task's answer to a checkpoint, and a source's end of data (it waits for a final checkpoint). */
export type CheckpointReport =
  | {
      type: 'acknowledgeCheckpoint';
      vertexId: string;
      subtask: number;
      checkpointId: number;
      handle: SubtaskStateHandle;
      metrics: SubtaskCheckpointMetrics;
    }
  | { type: 'declineCheckpoint'; vertexId: string; subtask: number; checkpointId: number; reason: string }
  | { type: 'endOfData'; vertexId: string; subtask: number };

/** JobMaster → source coordinator worker. */
export type ToCoordinator =
  /** `restored`: the split enumerators' states of the checkpoint restored from, by source operator id. */
  | { type: 'init'; deployment: JobDeployment; restored?: Record<string, unknown> }
  | { type: 'sourceEvent'; operatorId: string; subtask: number; event: SourceEventKind }
  /** Snapshot every split enumerator (answered by `snapshot` or `snapshotFailed`, after every assignment made before it). */
  | { type: 'snapshot'; checkpointId: number }
  | { type: 'close' };

/** Source coordinator worker → JobMaster. */
export type FromCoordinator =
  | { type: 'ready' }
  | { type: 'initFailed'; error: SerializedError }
  | { type: 'assign'; operatorId: string; subtask: number; splits: SourceSplit[] }
  | { type: 'noMoreSplits'; operatorId: string; subtask: number }
  | { type: 'snapshot'; checkpointId: number; states: Record<string, unknown> }
  | { type: 'snapshotFailed'; checkpointId: number; error: SerializedError }
  | { type: 'failed'; error: SerializedError };

/** JobManager → TaskManager (a method call in the local cluster, a frame on the RPC connection in a real one). */
export type ToTaskManager =
  | { type: 'submitTask'; deployment: JobDeployment; slot: number; task: TaskDeploymentDescriptor }
  | { type: 'splits'; jobId: string; attempt: number; vertexId: string; subtask: number; splits: SourceSplit[]; noMoreSplits: boolean }
  | {
      type: 'triggerCheckpoint';
      jobId: string;
      attempt: number;
      vertexId: string;
      subtask: number;
      checkpointId: number;
      timestamp: number;
      mode: CheckpointingMode;
      options?: CheckpointOptions;
    }
  /** To every task of the job attempt on the TaskManager. */
  | { type: 'checkpointNotification'; jobId: string; attempt: number; checkpointId: number; kind: CheckpointNotificationKind }
  | { type: 'releaseJob'; jobId: string; attempt?: number };

/** TaskManager → JobManager. */
export type ToJobManager =
  | {
      type: 'taskState';
      jobId: string;
      attempt: number;
      vertexId: string;
      subtask: number;
      state: ExecutionState;
      error?: SerializedError;
      metrics?: TaskMetrics;
    }
  | { type: 'sourceEvent'; jobId: string; attempt: number; operatorId: string; vertexId: string; subtask: number; event: SourceEventKind }
  | { type: 'collect'; jobId: string; attempt: number; collectId: string; values: unknown[]; vertexId?: string; subtask?: number }
  | (CheckpointReport & { jobId: string; attempt: number });

// ---------------------------------------------------------------- over TCP (see transport.ts)

/** TaskManager → JobManager on the RPC connection: one-way messages and requests. */
export type TaskManagerRpc =
  /** Request, answered by RegistrationResponse. */
  | { type: 'register'; tmId: string; slots: number; dataAddress: string; hardware?: TaskManagerHardware }
  | { type: 'heartbeat' }
  | { type: 'report'; msg: ToJobManager }
  /** Request, answered by BlobChunk: up to BLOB_CHUNK_BYTES of a blob from `offset`. */
  | { type: 'fetchBlob'; blobId: string; offset: number };

export interface TaskManagerHardware {
  cpuCores: number;
  physicalMemory: number;
  freeMemory: number;
}

export interface RegistrationResponse {
  type: 'registered';
  /** The JobManager leader's fencing token: every JobManager → TaskManager message carries it. */
  fencingToken: string;
  heartbeatInterval: number;
  heartbeatTimeout: number;
}

export interface BlobChunk {
  type: 'blobChunk';
  blobId: string;
  /** Size of the whole blob in bytes. */
  size: number;
  offset: number;
  data: Uint8Array;
}

export const BLOB_CHUNK_BYTES = 1024 * 1024;

/** JobManager → TaskManager on the RPC connection; every message carries the leader's fencing token. */
export type JobManagerRpc =
  { type: 'toTaskManager'; fencingToken: string; msg: ToTaskManager } | { type: 'heartbeat'; fencingToken: string };

/** Tools (cluster scripts, tests) → JobManager on the RPC port: requests. */
export type ClientRpc = { type: 'clusterOverview' };

export interface ClusterOverview {
  type: 'clusterOverview';
  taskManagers: { id: string; slots: number; freeSlots: number; dataAddress: string }[];
  slotsTotal: number;
  slotsAvailable: number;
}

/** TaskManager ↔ TaskManager data connection: frames of the channels between worker `from` and worker `to`, in order. */
export type DataPlaneMessage = { type: 'frames'; from: string; to: string; frames: Frame[] };
