/** What the CheckpointCoordinator needs of its JobMaster. */
import type { WeirError } from '../../errors.js';
import type { CheckpointingMode, CheckpointOptions, ExecutionState } from '../rpc/messages.js';
import type { CompletedCheckpoint } from './completed-checkpoint-store.js';

export interface CheckpointTask {
  vertexId: string;
  subtask: number;
  state: ExecutionState;
  isSource: boolean;
}

/** What the JobMaster does for the coordinator. */
export interface CheckpointCoordinatorHooks {
  /** The subtasks of the current attempt. */
  tasks(): CheckpointTask[];
  /**
   * Snapshots the split enumerators; `done` is called with their states by source operator id
   * (or an error), in the same turn as the coordinator's answer. Without enumerators, call it at once.
   */
  snapshotCoordinator(checkpointId: number, done: (states: Record<string, unknown> | Error) => void): void;
  triggerTask(
    vertexId: string,
    subtask: number,
    checkpointId: number,
    timestamp: number,
    mode: CheckpointingMode,
    options: CheckpointOptions,
  ): void;
  notifyComplete(checkpointId: number): void;
  notifyAborted(checkpointId: number): void;
  /** More consecutive checkpoint failures than tolerated: fail the job over. */
  failJob(error: WeirError): void;
  /**
   * With high availability: stores the completed checkpoint's pointer (fenced by the leadership)
   * after its _metadata is written and before it counts as completed; a rejection (a deposed
   * leader) aborts the checkpoint, so no task is told to commit.
   */
  persistCompleted?(checkpointId: number, dir: string): Promise<void>;
  /** Called right after a checkpoint completed, before the tasks are notified. */
  onCompleted?(cp: CompletedCheckpoint, acked: ReadonlySet<string>): void;
  log?(level: 'info' | 'warn', msg: string): void;
}
