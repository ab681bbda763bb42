/**
 * The records of executeAndCollect() (Flink's CollectSinkOperatorCoordinator): what the collect
 * sinks sent, and the limits of executeAndCollect(limit).
 *
 * With checkpointing, values are kept per (collect id, subtask) so that a restore can drop what was
 * collected after the checkpoint it restores (those records are emitted again): each
 * acknowledgement marks how many values its task had sent, and a completed checkpoint commits the
 * marks of the tasks that acknowledged it.
 */
import type { JobGraph } from '../../graph/job-graph.js';
import type { LoadedCheckpoint } from '../checkpoint/storage.js';

interface CollectPart {
  collectId: string;
  task: string;
  values: unknown[];
}

export class CollectCoordinator {
  private collected: Record<string, unknown[]> = {};
  private readonly parts = new Map<string, CollectPart>();
  /** Per pending checkpoint: how many values of each part its acknowledging tasks had sent. */
  private readonly marks = new Map<number, Map<string, number>>();
  /** The part lengths of the latest completed checkpoint. */
  private committed = new Map<string, number>();
  /** executeAndCollect(limit): the limit of each limited collect sink. */
  private readonly limits = new Map<string, number>();

  constructor(
    jobGraph: JobGraph,
    /** With checkpointing, values are kept per task until the job ends. */
    private readonly checkpointing: boolean,
  ) {
    for (const v of jobGraph.vertices)
      for (const o of v.operators) if (o.collectLimit) this.limits.set(o.collectLimit.collectId, o.collectLimit.limit);
  }

  /** Values a collect sink sent (`task` is `vertexId/subtask`, when known). */
  add(collectId: string, task: string | undefined, values: readonly unknown[]): void {
    if (this.checkpointing && task !== undefined) {
      const k = `${collectId}\u0000${task}`;
      let part = this.parts.get(k);
      if (!part) this.parts.set(k, (part = { collectId, task, values: [] }));
      for (const v of values) part.values.push(v);
    } else {
      const arr = (this.collected[collectId] ??= []);
      for (const v of values) arr.push(v);
    }
  }

  /** executeAndCollect(limit): whether every limited collect sink has its records (the job can end). */
  limitsReached(): boolean {
    if (this.limits.size === 0) return false;
    for (const [collectId, limit] of this.limits) if (this.count(collectId) < limit) return false;
    return true;
  }

  private count(collectId: string): number {
    let n = this.collected[collectId]?.length ?? 0;
    for (const part of this.parts.values()) if (part.collectId === collectId) n += part.values.length;
    return n;
  }

  /** `task` acknowledged `checkpointId`: its parts count up to here if the checkpoint completes. */
  acknowledged(checkpointId: number, task: string): void {
    if (this.parts.size === 0) return;
    let marks = this.marks.get(checkpointId);
    if (!marks) this.marks.set(checkpointId, (marks = new Map()));
    for (const [k, part] of this.parts) if (part.task === task) marks.set(k, part.values.length);
  }

  /** `checkpointId` completed: the parts of the tasks that acknowledged it count up to their marks; of finished tasks, entirely. */
  commit(checkpointId: number, acked: ReadonlySet<string>, finished: (task: string) => boolean): void {
    const marks = this.marks.get(checkpointId) ?? new Map<string, number>();
    const committed = new Map<string, number>();
    for (const [k, part] of this.parts) {
      if (acked.has(part.task)) committed.set(k, marks.get(k) ?? 0);
      else if (finished(part.task)) committed.set(k, part.values.length);
    }
    this.committed = committed;
    for (const id of [...this.marks.keys()]) if (id <= checkpointId) this.marks.delete(id);
  }

  /**
   * A new attempt deploys from `cp` (or from nothing): what was collected after it is dropped.
   * `latestId` is the latest completed checkpoint's id, whose marks were committed.
   */
  restore(cp: LoadedCheckpoint | undefined, latestId: number | undefined): void {
    if (!cp) {
      this.parts.clear();
      return;
    }
    const marks = latestId === cp.metadata.checkpointId ? this.committed : new Map<string, number>();
    for (const [k, part] of this.parts) part.values.length = Math.min(part.values.length, marks.get(k) ?? 0);
    this.marks.clear();
  }

  /** A restart: values collected outside checkpoints are the failed attempt's, and go. */
  resetAttempt(): void {
    this.collected = {};
    if (!this.checkpointing) this.parts.clear();
  }

  /** The job ended: every value collected, by collect id, cut to its limit. */
  result(): Record<string, unknown[]> {
    if (this.checkpointing) {
      for (const part of this.parts.values()) {
        const arr = (this.collected[part.collectId] ??= []);
        for (const v of part.values) arr.push(v);
      }
    }
    for (const [collectId, limit] of this.limits) {
      const arr = this.collected[collectId];
      if (arr && arr.length > limit) arr.length = limit;
    }
    return this.collected;
  }
}
