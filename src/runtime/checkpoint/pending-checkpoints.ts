/**
 * The checkpoints of one job between their trigger and their end (the pending-checkpoint
 * bookkeeping of Flink's CheckpointCoordinator): each one's expiry timer and statistics row, its
 * acknowledgements, the finalization of a fully acknowledged one (`_metadata` written last, stored
 * in the HA services, copied to a savepoint), and the deletion of what an aborted or subsumed one
 * left on storage. Writes and deletions in flight stay in view: a restart waits for them so that it
 * restores from the newest checkpoint, and a shutdown so that it leaves nothing half-written.
 */
import type { JobGraph } from '../../graph/job-graph.js';
import type { Clock } from '../clock.js';
import type { CheckpointingMode, SubtaskCheckpointMetrics, SubtaskStateHandle } from '../rpc/messages.js';
import type { CheckpointCoordinatorHooks, CheckpointTask } from './checkpoint-hooks.js';
import { pendingStatsEntry, type CheckpointStatsTracker } from './checkpoint-stats-tracker.js';
import { PendingCheckpoint, taskKey } from './pending-checkpoint.js';
import { copyToSavepoint, type SavepointRequest } from './savepoint-requests.js';
import type { CheckpointStorage, LoadedCheckpoint } from './storage.js';

/** How a pending checkpoint's finalization ends: where it is now, or why it failed. */
export interface FinalizeCallbacks {
  completed(loaded: LoadedCheckpoint, savepointLocation: string | undefined): void;
  failed(reason: string, isFailure: boolean): void;
}

export class PendingCheckpoints {
  private readonly byId = new Map<number, PendingCheckpoint>();
  /** Writes of _metadata and deletions in flight. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly storage: CheckpointStorage,
    private readonly statsTracker: CheckpointStatsTracker,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: number): PendingCheckpoint | undefined {
    return this.byId.get(id);
  }

  /** Whether `p` is still pending: a checkpoint that ended is not, whatever arrives for it late. */
  has(p: PendingCheckpoint): boolean {
    return this.byId.get(p.id) === p;
  }

  /** A copy, since ending a checkpoint removes it. */
  all(): PendingCheckpoint[] {
    return [...this.byId.values()];
  }

  hasNewerThan(id: number): boolean {
    return [...this.byId.keys()].some((k) => k > id);
  }

  /**
   * Starts checkpoint `id` of `tasks`: it waits for those not finished, and expires (`onExpire`)
   * after `timeout` ms. Its statistics row is reported as in progress.
   */
  add(
    id: number,
    now: number,
    tasks: CheckpointTask[],
    savepoint: SavepointRequest | undefined,
    timeout: number,
    onExpire: (p: PendingCheckpoint) => void,
  ): PendingCheckpoint {
    const stats = pendingStatsEntry(id, now, tasks, savepoint);
    this.statsTracker.reportPending(stats);
    const p = new PendingCheckpoint(
      id,
      now,
      new Set(tasks.filter((t) => t.state !== 'FINISHED').map((t) => taskKey(t.vertexId, t.subtask))),
      new Set(tasks.filter((t) => t.state === 'FINISHED').map((t) => taskKey(t.vertexId, t.subtask))),
      stats,
      savepoint,
    );
    this.byId.set(id, p);
    p.cancelTimeout = this.clock.setTimer(timeout, () => onExpire(p));
    return p;
  }

  /** Records a subtask's acknowledgement; returns its checkpoint, or undefined when it was not awaited. */
  acknowledge(
    vertexId: string,
    subtask: number,
    checkpointId: number,
    handle: SubtaskStateHandle,
    metrics: SubtaskCheckpointMetrics,
  ): PendingCheckpoint | undefined {
    const p = this.byId.get(checkpointId);
    const now = this.clock.now();
    if (!p?.acknowledge(taskKey(vertexId, subtask), handle, metrics, now)) return undefined;
    this.statsTracker.reportSubtaskAck(p.stats, vertexId, {
      index: subtask,
      ack_timestamp: now,
      state_size: handle.size + (handle.sharedBytes ?? 0),
      checkpointed_size: handle.size + (handle.uploadedBytes ?? 0),
      ...metrics,
    });
    return p;
  }

  /** `p` ended: no longer pending, its expiry timer cancelled. */
  remove(p: PendingCheckpoint): void {
    p.cancelTimeout?.();
    this.byId.delete(p.id);
  }

  /** `p` was aborted: removed, its statistics row failed with `reason`, its files deleted. */
  abort(p: PendingCheckpoint, reason: string): void {
    this.remove(p);
    this.statsTracker.reportFailed(p.stats, this.clock.now(), reason);
    this.discard(p);
  }

  /** Deletes what an ended checkpoint that does not count left on storage; a failure only leaves files behind. */
  discard(p: PendingCheckpoint): void {
    void this.storage.discard(p.id, undefined, p.stateFilesElsewhere()).catch(() => undefined);
  }

  /**
   * Finalizes a fully acknowledged checkpoint: writes its `_metadata`, stores it in the HA services
   * (`ha.persistCompleted`), copies it to its savepoint directory if it is a savepoint, then calls `done`.
   */
  finalize(
    p: PendingCheckpoint,
    jobGraph: JobGraph,
    jobId: string,
    mode: CheckpointingMode,
    ha: Pick<CheckpointCoordinatorHooks, 'persistCompleted'>,
    done: FinalizeCallbacks,
  ): void {
    const metadata = p.metadata(jobGraph, jobId, mode, this.clock.now());
    const sp = p.savepoint;
    const written = this.storage.writeMetadata(metadata).then(
      async (dir) => {
        let location: string | undefined;
        if (ha.persistCompleted) {
          try {
            await ha.persistCompleted(p.id, dir);
          } catch (e) {
            done.failed(`cannot store the checkpoint in the HA services: ${(e as Error).message}`, false);
            return;
          }
        }
        if (sp) {
          try {
            location = await copyToSavepoint(sp, jobId, dir);
          } catch (e) {
            done.failed(`cannot write the savepoint to ${sp.targetDir}: ${(e as Error).message}`, false);
            return;
          }
        }
        done.completed({ metadata, dir }, location);
      },
      (e: unknown) => done.failed(`cannot write the checkpoint's metadata: ${(e as Error).message}`, true),
    );
    this.inFlight.add(written);
    void written.finally(() => this.inFlight.delete(written));
  }

  /** Keeps a write or deletion in view (a restart and shutdown wait for it); its failure only leaves files behind. */
  track(work: Promise<unknown>): void {
    const q = work.catch(() => undefined);
    this.inFlight.add(q);
    void q.finally(() => this.inFlight.delete(q));
  }

  /** A _metadata write (or deletion) is in flight. */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Resolves when no _metadata write (or deletion) is in flight. */
  async quiesce(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
