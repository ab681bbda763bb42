/**
 * Checkpoint statistics in Flink's REST shape (CheckpointStatsTracker): the history of the latest
 * checkpoints, the counts, the latest completed checkpoint, savepoint, failure and restore, and a
 * summary of the completed ones' sizes and durations.
 */

type CheckpointStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** Flink's TaskCheckpointStatistics: one vertex's part of a checkpoint. */
export interface TaskCheckpointStats {
  id: number;
  status: CheckpointStatus;
  latest_ack_timestamp: number;
  checkpointed_size: number;
  state_size: number;
  end_to_end_duration: number;
  alignment_buffered: number;
  processed_data: number;
  persisted_data: number;
  num_subtasks: number;
  num_acknowledged_subtasks: number;
}

/** One subtask's acknowledgement of a checkpoint (Flink's SubtaskCheckpointStatistics, completed). */
export interface SubtaskCheckpointAck {
  index: number;
  ack_timestamp: number;
  checkpointed_size: number;
  state_size: number;
  syncMs: number;
  asyncMs: number;
  alignmentMs: number;
}

/** One row of Flink's checkpoint history (/jobs/:id/checkpoints); `className` is Flink's JSON type name. */
export interface CheckpointStatsEntry {
  className: 'completed' | 'in_progress' | 'failed';
  id: number;
  status: CheckpointStatus;
  is_savepoint: boolean;
  /** CANONICAL for a savepoint (its state is backend-independent), null for a checkpoint. */
  savepointFormat: 'CANONICAL' | null;
  trigger_timestamp: number;
  latest_ack_timestamp: number;
  checkpointed_size: number;
  state_size: number;
  end_to_end_duration: number;
  alignment_buffered: number;
  processed_data: number;
  persisted_data: number;
  num_subtasks: number;
  num_acknowledged_subtasks: number;
  /** SYNC_SAVEPOINT: a stop-with-savepoint (the job ends with it). */
  checkpoint_type: 'CHECKPOINT' | 'SAVEPOINT' | 'SYNC_SAVEPOINT';
  /** Per vertex, by vertex id. */
  tasks: Record<string, TaskCheckpointStats>;
  external_path?: string;
  discarded?: boolean;
  failure_timestamp?: number;
  failure_message?: string;
}

export interface RestoredCheckpointStats {
  id: number;
  restore_timestamp: number;
  is_savepoint: boolean;
  external_path: string;
}

export interface MinMaxAvg {
  min: number;
  max: number;
  avg: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

/** Flink's CheckpointingStatistics. */
export interface CheckpointingStatistics {
  counts: { restored: number; total: number; in_progress: number; completed: number; failed: number };
  summary: {
    checkpointed_size: MinMaxAvg;
    state_size: MinMaxAvg;
    end_to_end_duration: MinMaxAvg;
    alignment_buffered: MinMaxAvg;
    processed_data: MinMaxAvg;
    persisted_data: MinMaxAvg;
  };
  latest: {
    /** The latest completed checkpoint (savepoints excluded, as in Flink). */
    completed: CheckpointStatsEntry | null;
    savepoint: CheckpointStatsEntry | null;
    failed: CheckpointStatsEntry | null;
    restored: RestoredCheckpointStats | null;
  };
  history: CheckpointStatsEntry[];
}

const HISTORY_SIZE = 10;

/**
 * The statistics row of a checkpoint just triggered, over the job's subtasks (a number: that many
 * subtasks of no known vertex). Subtasks that had finished count as acknowledged, with no state.
 */
export function pendingStatsEntry(
  id: number,
  now: number,
  subtasks: number | readonly { vertexId: string; state: string }[],
  savepoint: { stop: boolean } | undefined,
): CheckpointStatsEntry {
  const perVertex: Record<string, number> = {};
  const finished: Record<string, number> = {};
  for (const t of typeof subtasks === 'number' ? [] : subtasks) {
    perVertex[t.vertexId] = (perVertex[t.vertexId] ?? 0) + 1;
    if (t.state === 'FINISHED') finished[t.vertexId] = (finished[t.vertexId] ?? 0) + 1;
  }
  const numSubtasks = typeof subtasks === 'number' ? subtasks : subtasks.length;
  const tasks: Record<string, TaskCheckpointStats> = {};
  for (const [v, n] of Object.entries(perVertex))
    tasks[v] = {
      id,
      status: 'IN_PROGRESS',
      latest_ack_timestamp: -1,
      checkpointed_size: 0,
      state_size: 0,
      end_to_end_duration: 0,
      alignment_buffered: 0,
      processed_data: 0,
      persisted_data: 0,
      num_subtasks: n,
      num_acknowledged_subtasks: finished[v] ?? 0,
    };
  return {
    className: 'in_progress',
    id,
    status: 'IN_PROGRESS',
    is_savepoint: savepoint !== undefined,
    savepointFormat: savepoint ? 'CANONICAL' : null,
    trigger_timestamp: now,
    latest_ack_timestamp: -1,
    checkpointed_size: 0,
    state_size: 0,
    end_to_end_duration: 0,
    alignment_buffered: 0,
    processed_data: 0,
    persisted_data: 0,
    num_subtasks: numSubtasks,
    num_acknowledged_subtasks: 0,
    checkpoint_type: savepoint ? (savepoint.stop ? 'SYNC_SAVEPOINT' : 'SAVEPOINT') : 'CHECKPOINT',
    tasks,
  };
}

function setTaskStatus(s: CheckpointStatsEntry, status: CheckpointStatus): void {
  for (const t of Object.values(s.tasks)) t.status = status;
}

/** One checkpoint of the history with its vertices' subtask acknowledgements. */
export interface CheckpointDetails {
  entry: CheckpointStatsEntry;
  subtaskAcks(vertexId: string): SubtaskCheckpointAck[];
}

export class CheckpointStatsTracker {
  private readonly history: CheckpointStatsEntry[] = [];
  private readonly counts = { restored: 0, total: 0, completed: 0, failed: 0 };
  private latestFailed: CheckpointStatsEntry | null = null;
  private latestSavepoint: CheckpointStatsEntry | null = null;
  private restored: RestoredCheckpointStats | null = null;
  private readonly completedSizes: number[] = [];
  private readonly completedDurations: number[] = [];
  /** Per checkpoint of the history: each vertex's subtask acknowledgements. */
  private readonly acks = new Map<number, Map<string, SubtaskCheckpointAck[]>>();

  reportPending(s: CheckpointStatsEntry): void {
    this.counts.total++;
    this.history.unshift(s);
    this.acks.set(s.id, new Map());
    if (this.history.length > HISTORY_SIZE) this.acks.delete(this.history.pop()!.id);
  }

  /** A subtask acknowledged checkpoint `s` at `now` (the checkpoint-wide figures are the PendingCheckpoint's). */
  reportSubtaskAck(s: CheckpointStatsEntry, vertexId: string, ack: SubtaskCheckpointAck): void {
    const t = s.tasks[vertexId];
    if (t) {
      t.num_acknowledged_subtasks++;
      t.latest_ack_timestamp = ack.ack_timestamp;
      t.state_size += ack.state_size;
      t.checkpointed_size += ack.checkpointed_size;
      t.end_to_end_duration = ack.ack_timestamp - s.trigger_timestamp;
    }
    const byVertex = this.acks.get(s.id);
    if (!byVertex) return;
    const list = byVertex.get(vertexId) ?? [];
    list.push(ack);
    byVertex.set(vertexId, list);
  }

  /** The subtask acknowledgements of one vertex in checkpoint `id`, while it is in the history. */
  subtaskAcks(id: number, vertexId: string): SubtaskCheckpointAck[] | undefined {
    const byVertex = this.acks.get(id);
    return byVertex ? [...(byVertex.get(vertexId) ?? [])] : undefined;
  }

  /** The statistics row of checkpoint `id`, while it is in the history. */
  entry(id: number): CheckpointStatsEntry | undefined {
    const h = this.history.find((x) => x.id === id);
    return h ? { ...h } : undefined;
  }

  /** Checkpoint `id` with its subtask acknowledgements, while it is in the history. */
  details(id: number): CheckpointDetails | undefined {
    const entry = this.entry(id);
    if (!entry) return undefined;
    return { entry, subtaskAcks: (vertexId) => this.subtaskAcks(id, vertexId) ?? [] };
  }

  /**
   * A checkpoint or savepoint completed at `now`. One subsumed by a newer checkpoint (only a
   * savepoint is reported so) counts, but stays out of the summary.
   */
  reportCompleted(s: CheckpointStatsEntry, now: number, externalPath: string | undefined, subsumed = false): void {
    s.className = 'completed';
    s.status = 'COMPLETED';
    setTaskStatus(s, 'COMPLETED');
    s.end_to_end_duration = now - s.trigger_timestamp;
    if (externalPath !== undefined) s.external_path = externalPath;
    s.discarded = false;
    this.counts.completed++;
    if (s.is_savepoint && (this.latestSavepoint?.id ?? 0) < s.id) this.latestSavepoint = s;
    if (subsumed) return;
    s.alignment_buffered = 0;
    this.completedSizes.push(s.state_size);
    this.completedDurations.push(s.end_to_end_duration);
  }

  reportFailed(s: CheckpointStatsEntry, now: number, reason: string): void {
    s.className = 'failed';
    s.status = 'FAILED';
    setTaskStatus(s, 'FAILED');
    s.failure_timestamp = now;
    s.failure_message = reason;
    this.counts.failed++;
    this.latestFailed = s;
  }

  reportRestored(r: RestoredCheckpointStats): void {
    this.counts.restored++;
    this.restored = r;
  }

  /** `retained`: the rows of the retained checkpoints, for a latest completed one no longer in the history. */
  stats(inProgress: number, retained: readonly CheckpointStatsEntry[]): CheckpointingStatistics {
    const isCheckpoint = (h: CheckpointStatsEntry): boolean => h.status === 'COMPLETED' && !h.is_savepoint;
    const completed = this.history.find(isCheckpoint) ?? retained.findLast(isCheckpoint) ?? null;
    const zero = summarize([]);
    return {
      counts: { ...this.counts, in_progress: inProgress },
      summary: {
        checkpointed_size: summarize(this.completedSizes),
        state_size: summarize(this.completedSizes),
        end_to_end_duration: summarize(this.completedDurations),
        alignment_buffered: zero,
        processed_data: zero,
        persisted_data: zero,
      },
      latest: { completed, savepoint: this.latestSavepoint, failed: this.latestFailed, restored: this.restored },
      history: this.history.map((h) => ({ ...h })),
    };
  }
}

/** Statistics of no checkpoint at all (checkpointing disabled). */
export function emptyCheckpointingStatistics(): CheckpointingStatistics {
  return new CheckpointStatsTracker().stats(0, []);
}

function summarize(values: readonly number[]): MinMaxAvg {
  if (values.length === 0) return { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const q = (x: number): number => sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))]!;
  return {
    min: sorted[0]!,
    max: sorted.at(-1)!,
    avg: Math.round(values.reduce((a, b) => a + b, 0) / values.length),
    p50: q(0.5),
    p90: q(0.9),
    p95: q(0.95),
    p99: q(0.99),
    p999: q(0.999),
  };
}
