/** What the worker gives a task: the job, the network, and the way back to the JobMaster. */
import type { SerializedError } from '../../errors.js';
import type { JobGraph } from '../../graph/job-graph.js';
import type { StreamGraph } from '../../graph/stream-graph.js';
import type { MetricRegistry } from '../../metrics/registry.js';
import type { ConnectionManager } from '../network/connection-manager.js';
import type {
  ExecutionState,
  RuntimeSettings,
  SourceEventKind,
  SubtaskCheckpointMetrics,
  SubtaskStateHandle,
  TaskMetrics,
} from '../rpc/messages.js';

export interface TaskEnvironment {
  /** Where the task's metric groups go (the slot worker's registry, sampled to the TaskManager), and their `<host>` and `<tm_id>`. */
  readonly metrics?: { readonly registry: MetricRegistry; readonly host: string; readonly tmId: string };
  readonly jobId: string;
  readonly attempt: number;
  readonly jobGraph: JobGraph;
  readonly streamGraph: StreamGraph;
  readonly settings: RuntimeSettings;
  readonly connections: ConnectionManager;
  reportState(vertexId: string, subtask: number, state: ExecutionState, error?: SerializedError, metrics?: TaskMetrics): void;
  sourceEvent(operatorId: string, vertexId: string, subtask: number, event: SourceEventKind): void;
  sendCollected(collectId: string, values: unknown[], vertexId: string, subtask: number): void;
  /** print()'s lines, written by the TaskManager's own process before this task's later reports. */
  print(text: string, toStderr: boolean): void;
  acknowledgeCheckpoint(
    vertexId: string,
    subtask: number,
    checkpointId: number,
    handle: SubtaskStateHandle,
    metrics: SubtaskCheckpointMetrics,
  ): void;
  declineCheckpoint(vertexId: string, subtask: number, checkpointId: number, reason: string): void;
  /** A source subtask ran out of input and waits for its final checkpoint. */
  endOfData(vertexId: string, subtask: number): void;
}
