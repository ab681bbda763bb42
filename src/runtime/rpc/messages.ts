/**
 * Every control-plane message, in one place: TaskManager ↔ slot worker, JobMaster ↔ source
 * coordinator, JobManager ↔ TaskManager. Messages are plain data; those that cross a process
 * boundary are validated when they arrive (see validate.ts) and carry PROTOCOL_VERSION.
 */
import type { MessagePort } from 'node:worker_threads';
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
}

export interface TaskDeploymentDescriptor {
  vertexId: string;
  subtask: number;
  /** Worker address of every subtask of every vertex: locations[vertexId][subtask]. */
  locations: Record<string, string[]>;
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
  | { type: 'init'; deployment: JobDeployment; workerAddress: string }
  | { type: 'deploy'; task: TaskDeploymentDescriptor }
  | { type: 'cancel' }
  | { type: 'connect'; peer: string; port: MessagePort }
  | { type: 'splits'; vertexId: string; subtask: number; splits: SourceSplit[]; noMoreSplits: boolean };

/** Slot worker → TaskManager. */
export type FromSlotWorker =
  | { type: 'ready' }
  | { type: 'initFailed'; error: SerializedError }
  | { type: 'taskState'; vertexId: string; subtask: number; state: ExecutionState; error?: SerializedError; metrics?: TaskMetrics }
  | { type: 'requestConnection'; peer: string }
  | { type: 'sourceEvent'; operatorId: string; vertexId: string; subtask: number; event: SourceEventKind }
  | { type: 'collect'; collectId: string; values: unknown[] };

/** JobMaster → source coordinator worker. */
export type ToCoordinator =
  | { type: 'init'; deployment: JobDeployment }
  | { type: 'sourceEvent'; operatorId: string; subtask: number; event: SourceEventKind }
  | { type: 'close' };

/** Source coordinator worker → JobMaster. */
export type FromCoordinator =
  | { type: 'ready' }
  | { type: 'initFailed'; error: SerializedError }
  | { type: 'assign'; operatorId: string; subtask: number; splits: SourceSplit[] }
  | { type: 'noMoreSplits'; operatorId: string; subtask: number }
  | { type: 'failed'; error: SerializedError };

/** JobManager → TaskManager (a method call in the local cluster, a frame on the RPC connection in a real one). */
export type ToTaskManager =
  | { type: 'submitTask'; deployment: JobDeployment; slot: number; task: TaskDeploymentDescriptor }
  | { type: 'splits'; jobId: string; attempt: number; vertexId: string; subtask: number; splits: SourceSplit[]; noMoreSplits: boolean }
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
  | { type: 'collect'; jobId: string; attempt: number; collectId: string; values: unknown[] };

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
