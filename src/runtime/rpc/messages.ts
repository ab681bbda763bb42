/**
 * Every message that crosses a thread or process boundary, declared once: TaskManager ↔ slot
 * worker, JobMaster ↔ source coordinator, JobManager ↔ TaskManager, TaskManager ↔ TaskManager
 * (frames). Each is a TypeBox schema and its type is `Static<>` of it (one name for both), so a
 * message cannot drift from what its receiver checks. Messages that cross a process boundary are
 * checked when they arrive (validate.ts compiles these schemas) and carry PROTOCOL_VERSION.
 *
 * This module names them; each boundary declares its own in a module that imports what it uses by
 * name: message-common.ts (shared parts), messages-threads.ts (threads of one process),
 * messages-control.ts (the JobManager's RPC port), messages-data.ts (frames). Named re-exports,
 * not `export *`, so `Static<>` of every union keeps its inferred type.
 */
export {
  TaskCheckpointSettings,
  RuntimeSettings,
  SubtaskStateHandle,
  CheckpointOptions,
  SubtaskCheckpointMetrics,
  OperatorRestore,
  TaskRestore,
  DeployedCachedFile,
  ProgramArgs,
  Cwd,
  JobDeployment,
  TaskDeploymentDescriptor,
  ExecutionState,
  AccumulatorSnapshot,
  TaskMetrics,
  SourceEventKind,
  SourceSplit,
  CheckpointNotificationKind,
} from './message-common.js';
export { ToSlotWorker, CheckpointReport, FromSlotWorker, ToCoordinator, FromCoordinator } from './messages-threads.js';
export {
  ToTaskManager,
  ToJobManager,
  TaskManagerHardware,
  TaskManagerRpc,
  RegistrationResponse,
  BlobChunk,
  InspectionKind,
  JobManagerRpc,
  TaskManagerInspection,
  UnreadableSubmitTask,
  ClientRpc,
  ToJobManagerRpcPort,
  ClusterOverview,
} from './messages-control.js';
export { ChannelEvent, Frame, DataPlaneMessage } from './messages-data.js';

export { CheckpointingMode } from './message-common.js';
export { BLOB_CHUNK_BYTES, PROTOCOL_VERSION } from './protocol.js';
