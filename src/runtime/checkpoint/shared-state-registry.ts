/**
 * How many retained checkpoints refer to each file of the shared directory (Flink's
 * SharedStateRegistry): a file may be deleted once the last checkpoint that refers to it is discarded.
 */
import type { CheckpointStorage } from './storage.js';

export class SharedStateRegistry {
  private readonly refs = new Map<string, number>();

  register(files: Iterable<string>): void {
    for (const f of files) this.refs.set(f, (this.refs.get(f) ?? 0) + 1);
  }

  /** A checkpoint referring to `files` is discarded: returns the files no retained checkpoint refers to now. */
  unregister(files: Iterable<string>): string[] {
    const unreferenced: string[] = [];
    for (const f of files) {
      const n = (this.refs.get(f) ?? 1) - 1;
      if (n > 0) this.refs.set(f, n);
      else {
        this.refs.delete(f);
        unreferenced.push(f);
      }
    }
    return unreferenced;
  }

  isReferenced(file: string): boolean {
    return this.refs.has(file);
  }
}

/**
 * Deletes files of the shared directory that no retained checkpoint refers to and that were
 * uploaded for checkpoint `upTo` or an earlier one (their names carry that id): uploads of
 * checkpoints that failed or were subsumed, and of tasks that died before they could clean up.
 * Uploads for later checkpoints, still under way, are left alone.
 */
export async function sweepShared(storage: CheckpointStorage, registry: SharedStateRegistry, upTo: number): Promise<void> {
  const names = await storage.listShared();
  const garbage = names.filter((f) => {
    if (registry.isReferenced(f)) return false;
    const m = /-chk-(\d+)[-.]/.exec(f);
    return m !== null && Number(m[1]) <= upTo;
  });
  // Registered meanwhile (a newer checkpoint completed): kept.
  if (garbage.length > 0) await storage.discardShared(garbage.filter((f) => !registry.isReferenced(f)));
}
