/**
 * A checkpoint under way (Flink's PendingCheckpoint): which subtasks must still acknowledge, their
 * state handles, the subtasks that had finished (their state is empty), the enumerators' states,
 * and its statistics row. It becomes `_metadata` once fully acknowledged.
 */
import type { JobGraph } from '../../graph/job-graph.js';
import type { CheckpointingMode, SubtaskCheckpointMetrics, SubtaskStateHandle } from '../rpc/messages.js';
import type { CheckpointStatsEntry } from './checkpoint-stats-tracker.js';
import type { SavepointRequest } from './savepoint-requests.js';
import { newMetadata, type CheckpointMetadata, type OperatorMetadata } from './storage.js';

export const taskKey = (vertexId: string, subtask: number): string => `${vertexId}/${subtask}`;

interface Ack {
  handle: SubtaskStateHandle;
  metrics: SubtaskCheckpointMetrics;
  at: number;
}

export class PendingCheckpoint {
  private readonly acks = new Map<string, Ack>();
  /** The split enumerators' states by source operator id, once snapshotted. */
  enumerators: Record<string, unknown> | undefined;
  /** Cancels the timeout timer. */
  cancelTimeout: (() => void) | undefined;
  /** Fully acknowledged: its _metadata is being written. */
  completing = false;

  constructor(
    readonly id: number,
    readonly timestamp: number,
    /** Tasks (vertexId/subtask) that must still acknowledge. */
    private readonly waiting: Set<string>,
    /** Tasks that had finished (at trigger time or since): their state is empty. */
    private readonly finished: Set<string>,
    readonly stats: CheckpointStatsEntry,
    readonly savepoint: SavepointRequest | undefined,
  ) {
    stats.num_acknowledged_subtasks = finished.size;
  }

  /** Records an acknowledgement; false when the task was not awaited (again, late, or unknown). */
  acknowledge(k: string, handle: SubtaskStateHandle, metrics: SubtaskCheckpointMetrics, now: number): boolean {
    if (this.completing || !this.waiting.delete(k)) return false;
    this.acks.set(k, { handle, metrics, at: now });
    const s = this.stats;
    s.num_acknowledged_subtasks++;
    s.latest_ack_timestamp = now;
    s.state_size += handle.size + (handle.sharedBytes ?? 0);
    s.checkpointed_size += handle.size + (handle.uploadedBytes ?? 0);
    s.end_to_end_duration = now - this.timestamp;
    return true;
  }

  /** A task finished: no longer awaited. False when it was not awaited. */
  taskFinished(k: string): boolean {
    if (this.completing || !this.waiting.delete(k)) return false;
    this.finished.add(k);
    this.stats.num_acknowledged_subtasks++;
    return true;
  }

  /** Every awaited task acknowledged (or finished) and the enumerators answered. */
  get fullyAcknowledged(): boolean {
    return this.waiting.size === 0 && this.enumerators !== undefined;
  }

  get acknowledged(): ReadonlySet<string> {
    return new Set(this.acks.keys());
  }

  /** State files written outside the checkpoint directory (entropy injection): deleted with it. */
  stateFilesElsewhere(): string[] {
    const out: string[] = [];
    for (const a of this.acks.values()) if (a.handle.file && /^[a-z][a-z0-9+.-]*:\/\//i.test(a.handle.file)) out.push(a.handle.file);
    return out;
  }

  /** The files of the shared directory its state refers to (lsm incremental checkpoints). */
  sharedFiles(): Set<string> {
    const shared = new Set<string>();
    for (const a of this.acks.values()) for (const f of a.handle.shared ?? []) shared.add(f);
    return shared;
  }

  metadata(jobGraph: JobGraph, jobId: string, mode: CheckpointingMode, completedAt: number): CheckpointMetadata {
    const operators: Record<string, OperatorMetadata> = {};
    for (const v of jobGraph.vertices) {
      const files: (string | null)[] = [];
      const finished: number[] = [];
      for (let s = 0; s < v.parallelism; s++) {
        const k = taskKey(v.id, s);
        files.push(this.acks.get(k)?.handle.file ?? null);
        if (this.finished.has(k)) finished.push(s);
      }
      v.operators.forEach((jo, i) => {
        const m: OperatorMetadata = {
          name: jo.name,
          ...(jo.uid !== undefined ? { uid: jo.uid } : {}),
          vertexId: v.id,
          parallelism: v.parallelism,
          maxParallelism: v.maxParallelism,
          files,
          finished,
        };
        if (i === 0 && this.enumerators && jo.id in this.enumerators) m.coordinator = this.enumerators[jo.id];
        operators[jo.id] = m;
      });
    }
    return newMetadata({
      jobId,
      jobName: jobGraph.jobName,
      checkpointId: this.id,
      timestamp: this.timestamp,
      completedAt,
      mode,
      operators,
    });
  }
}
