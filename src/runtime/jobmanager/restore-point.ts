/**
 * The checkpoint an attempt starts from (Flink's restoreLatestCheckpointedState): the latest
 * completed one, else — for the first attempt — the checkpoint or savepoint execution.savepoint.path
 * names, checked for state no operator claims.
 */
import { basename } from 'node:path';
import type { JobGraph } from '../../graph/job-graph.js';
import type { CheckpointCoordinator } from '../checkpoint/checkpoint-coordinator.js';
import { checkUnclaimedState } from '../checkpoint/state-assignment.js';
import { loadRestorePoint, type LoadedCheckpoint } from '../checkpoint/storage.js';

export class RestorePoint {
  /** The checkpoint or savepoint named by execution.savepoint.path, loaded for the first attempt. */
  private initial: LoadedCheckpoint | undefined;

  constructor(
    private readonly jobGraph: JobGraph,
    private readonly config: Record<string, unknown>,
    private readonly checkpoints: CheckpointCoordinator | undefined,
  ) {}

  /**
   * Resolves the restore point of the next attempt (and notes it in the checkpoint statistics); at
   * once when nothing is to be waited for or loaded.
   */
  resolve(): LoadedCheckpoint | undefined | Promise<LoadedCheckpoint | undefined> {
    // A checkpoint whose _metadata is being written completes first: the attempt restores from it.
    if (this.checkpoints?.busy) return this.checkpoints.quiesce().then(() => this.resolve());
    const latest = this.checkpoints?.latestCompleted();
    const path = this.config['execution.savepoint.path'];
    if (!latest && this.initial === undefined && typeof path === 'string' && path !== '') {
      return loadRestorePoint(path).then((cp) => {
        const ignoreUnclaimed = [true, 'true'].includes(this.config['execution.savepoint.ignore-unclaimed-state'] as string);
        checkUnclaimedState(cp, this.jobGraph, ignoreUnclaimed);
        this.initial = cp;
        return this.resolve();
      });
    }
    const cp = latest ?? this.initial;
    // A savepoint is a `savepoint-…` directory (copyToSavepoint names them).
    if (cp) this.checkpoints?.noteRestored(cp, !latest && basename(cp.dir).startsWith('savepoint-'));
    return cp;
  }

  /** The split enumerators' states of `cp`, by source operator id. */
  static enumerators(cp: LoadedCheckpoint): Record<string, unknown> {
    const states: Record<string, unknown> = {};
    for (const [opId, m] of Object.entries(cp.metadata.operators)) if (m.coordinator !== undefined) states[opId] = m.coordinator;
    return states;
  }
}
