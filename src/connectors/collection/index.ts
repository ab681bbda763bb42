/**
 * Bounded in-memory sources: CollectionSource (Flink's fromData: one split, parallelism 1, items
 * in order) and NumberSequenceSource (fromSequence(from, to) inclusive, range splits across
 * readers). Splits carry their current offset, so a checkpoint resumes mid-split.
 * Also the split plumbing the other built-in sources share: a static split enumerator and a
 * batching reader base.
 */
import { WeirError } from '../../errors.js';
import type {
  Boundedness,
  SourceOutput,
  Source,
  SourceReader,
  SourceReaderContext,
  SourceSplit,
  SplitEnumeratorContext,
} from '../../api/source.js';
import { StaticSplitEnumerator, SyncSplitReader, type StaticEnumState } from '../base/split-reader.js';

// The split plumbing moved to src/connectors/base/; re-exported for the connectors that import it from here.
export {
  AvailabilitySignal,
  DEFAULT_BATCH_SIZE,
  SplitAssignments,
  StaticSplitEnumerator,
  SyncSplitReader,
  type StaticEnumState,
} from '../base/split-reader.js';

// ---------------------------------------------------------------------------------------------
// CollectionSource

/** The one split of a CollectionSource: the items and the index of the next one to emit. */
export interface CollectionSplit<T> extends SourceSplit {
  items: T[];
  position: number;
}

/** Flink's fromData/fromElements: the items, in order, from a single reader. */
export class CollectionSource<T> implements Source<T, CollectionSplit<T>, StaticEnumState<CollectionSplit<T>>> {
  readonly boundedness: Boundedness = 'BOUNDED';
  readonly fixedParallelism = 1;

  constructor(private readonly items: readonly T[]) {}

  createEnumerator(
    ctx: SplitEnumeratorContext<CollectionSplit<T>>,
    restored?: StaticEnumState<CollectionSplit<T>>,
  ): StaticSplitEnumerator<CollectionSplit<T>> {
    return new StaticSplitEnumerator(ctx, restored, () =>
      this.items.length ? [{ splitId: '0', items: this.items.slice(), position: 0 }] : [],
    );
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, CollectionSplit<T>> {
    return new CollectionReader<T>(ctx);
  }

  describe(): string {
    return `CollectionSource(${this.items.length} element${this.items.length === 1 ? '' : 's'})`;
  }
}

class CollectionReader<T> extends SyncSplitReader<T, CollectionSplit<T>> {
  protected emitFrom(split: CollectionSplit<T>, output: SourceOutput<T>, max: number): number {
    const items = split.items;
    const end = Math.min(items.length, split.position + max);
    const start = split.position;
    for (let i = start; i < end; i++) {
      split.position = i + 1;
      output.collect(items[i] as T);
    }
    return end - start;
  }
  protected isFinished(split: CollectionSplit<T>): boolean {
    return split.position >= split.items.length;
  }
}

// ---------------------------------------------------------------------------------------------
// NumberSequenceSource

/** A range of a NumberSequenceSource: `current` is the next number to emit, `to` is inclusive. */
export interface NumberSequenceSplit extends SourceSplit {
  current: number;
  to: number;
}

/** Splits per reader: more than one, so a fast reader takes over work of a slow one. */
const SPLITS_PER_READER = 4;

/** Flink's fromSequence: the integers from..to inclusive, split into ranges across the readers. */
export class NumberSequenceSource implements Source<number, NumberSequenceSplit, StaticEnumState<NumberSequenceSplit>> {
  readonly boundedness: Boundedness = 'BOUNDED';

  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) {
      throw new WeirError('WEIR_BAD_PIPELINE', `fromSequence(${from}, ${to}): both bounds must be safe integers`);
    }
    if (from > to) {
      throw new WeirError('WEIR_BAD_PIPELINE', `fromSequence(${from}, ${to}): 'from' must not be greater than 'to'`);
    }
  }

  createEnumerator(
    ctx: SplitEnumeratorContext<NumberSequenceSplit>,
    restored?: StaticEnumState<NumberSequenceSplit>,
  ): StaticSplitEnumerator<NumberSequenceSplit> {
    return new StaticSplitEnumerator(ctx, restored, () => {
      const ranges = splitRange(this.to - this.from + 1, Math.max(1, ctx.currentParallelism()) * SPLITS_PER_READER);
      return ranges.map(([start, end], i) => ({ splitId: String(i), current: this.from + start, to: this.from + end - 1 }));
    });
  }

  createReader(ctx: SourceReaderContext): SourceReader<number, NumberSequenceSplit> {
    return new NumberSequenceReader(ctx);
  }

  describe(): string {
    return `NumberSequenceSource(${this.from}..${this.to})`;
  }
}

class NumberSequenceReader extends SyncSplitReader<number, NumberSequenceSplit> {
  protected emitFrom(split: NumberSequenceSplit, output: SourceOutput<number>, max: number): number {
    const start = split.current;
    const end = Math.min(split.to, start + max - 1);
    for (let n = start; n <= end; n++) {
      split.current = n + 1;
      output.collect(n);
    }
    return end - start + 1;
  }
  protected isFinished(split: NumberSequenceSplit): boolean {
    return split.current > split.to;
  }
}

/**
 * Cuts [0, count) into at most `parts` contiguous ranges [start, end) of near-equal size, without
 * multiplying count (which could leave the safe-integer range).
 */
export function splitRange(count: number, parts: number): [number, number][] {
  const n = Math.min(count, parts);
  if (n <= 0) return [];
  const base = Math.floor(count / n);
  const rem = count - base * n;
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + base + (i < rem ? 1 : 0);
    out.push([start, end]);
    start = end;
  }
  return out;
}
