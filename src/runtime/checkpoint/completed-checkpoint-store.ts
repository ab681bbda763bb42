/**
 * The retained completed checkpoints (Flink's CompletedCheckpointStore): the newest
 * `execution.checkpointing.num-retained`; adding one beyond that evicts the oldest, whose shared
 * files are released in the shared-state registry.
 */
import type { CheckpointStatsEntry } from './checkpoint-stats-tracker.js';
import type { SharedStateRegistry } from './shared-state-registry.js';
import type { LoadedCheckpoint } from './storage.js';

export interface CompletedCheckpoint extends LoadedCheckpoint {
  id: number;
  stats: CheckpointStatsEntry;
  /** The files of the shared directory its state refers to (lsm incremental checkpoints). */
  shared: ReadonlySet<string>;
}

export interface Eviction {
  /** Checkpoints no longer retained: their directories are to be deleted. */
  discarded: CompletedCheckpoint[];
  /** Shared files no retained checkpoint refers to any more. */
  unreferenced: string[];
}

export class CompletedCheckpointStore {
  private readonly completed: CompletedCheckpoint[] = [];

  constructor(
    private readonly numRetained: number,
    private readonly registry: SharedStateRegistry,
  ) {}

  latest(): CompletedCheckpoint | undefined {
    return this.completed.at(-1);
  }

  all(): readonly CompletedCheckpoint[] {
    return this.completed;
  }

  /** Adds the newest checkpoint and evicts the oldest beyond num-retained (a savepoint's row is not marked discarded: its copy stays). */
  add(cp: CompletedCheckpoint): Eviction {
    this.registry.register(cp.shared);
    this.completed.push(cp);
    const discarded: CompletedCheckpoint[] = [];
    const unreferenced: string[] = [];
    while (this.completed.length > this.numRetained) {
      const old = this.completed.shift()!;
      old.stats.discarded = !old.stats.is_savepoint;
      discarded.push(old);
      unreferenced.push(...this.registry.unregister(old.shared));
    }
    return { discarded, unreferenced };
  }

  /** Every retained checkpoint is being deleted (the job ended without keeping them). */
  markAllDiscarded(): void {
    for (const c of this.completed) c.stats.discarded = !c.stats.is_savepoint;
  }
}
