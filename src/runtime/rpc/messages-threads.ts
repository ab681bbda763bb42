/**
 * Messages between the threads of one process: TaskManager ↔ slot worker, JobMaster ↔ source coordinator (see messages.ts).
 */
import { Type, type Static } from 'typebox';

import { MetricGroupDump } from '../../metrics/dump-schema.js';
import { Bool, CheckpointingMode, Dict, Int, List, Name, Port, SerializedError, Str, Tagged } from '../../schema.js';
import {
  Attempt,
  CheckpointId,
  CheckpointNotificationKind,
  CheckpointOptions,
  ExecutionState,
  JobDeployment,
  JobId,
  Path,
  SourceEventKind,
  SourceSplit,
  Subtask,
  SubtaskCheckpointMetrics,
  SubtaskStateHandle,
  TaskDeploymentDescriptor,
  TaskMetrics,
} from './message-common.js';

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
export const checkpointReports = <P extends Record<string, typeof JobId | typeof Attempt>>(job: P) =>
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
