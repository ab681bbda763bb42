/**
 * A reader's per-split outputs (Flink's SourceReaderBase split contexts): each split emits through
 * its own output, so it gets its own watermark generator in the source operator. Outputs are
 * created when a split is added (so a split with no records yet holds the watermark back until
 * idle) and released when it finishes; both take effect at the next pollNext, where the reader
 * has the operator's output in hand.
 */
import type { ReaderOutput, SourceOutput } from '../../api/source.js';

export class SplitOutputs<T> {
  private readonly outputs = new Map<string, SourceOutput<T>>();
  private readonly toCreate = new Set<string>();
  private readonly toRelease = new Set<string>();
  private dirty = false;

  /** A split was added to the reader. */
  added(splitId: string): void {
    this.toRelease.delete(splitId);
    this.toCreate.add(splitId);
    this.dirty = true;
  }

  /** A split ended (or left the reader). */
  finished(splitId: string): void {
    this.toCreate.delete(splitId);
    this.toRelease.add(splitId);
    this.dirty = true;
  }

  /** Applies what changed since the last poll; call at the start of pollNext. */
  sync(output: ReaderOutput<T>): void {
    if (!this.dirty) return;
    this.dirty = false;
    for (const id of this.toRelease) {
      if (this.outputs.delete(id)) output.releaseOutputForSplit?.(id);
    }
    this.toRelease.clear();
    for (const id of this.toCreate) {
      if (!this.outputs.has(id)) this.outputs.set(id, output.createOutputForSplit?.(id) ?? output);
    }
    this.toCreate.clear();
  }

  /** The split's output (after sync); the reader's own output for a split it never announced. */
  get(splitId: string, output: ReaderOutput<T>): SourceOutput<T> {
    return this.outputs.get(splitId) ?? output;
  }
}
