/**
 * The Nexmark generator as a Weir source (Flink's FLIP-27 split model, src/api/source.ts).
 *
 * A split is a stride of event indexes: `next`, `next + step`, ... below `end` (null: unbounded).
 * The enumerator cuts the stream into `splits` strides (by default one per reader), so all readers
 * move through event time together and downstream watermarks (the minimum over channels) keep up
 * with every reader. A reader emits the events of its splits in index order (when it holds several,
 * e.g. after taking over a failed reader's split, it merges them), so the timestamps it emits never
 * go back. Splits and the enumerator state are plain data; a split's `next` is the first index not
 * emitted yet, so a restored split resumes exactly there.
 */
import type {
  Boundedness,
  InputStatus,
  ReaderOutput,
  Source,
  SourceReader,
  SourceReaderContext,
  SourceSplit,
  SplitEnumerator,
  SplitEnumeratorContext,
} from 'weir';
import { NexmarkGenerator, resolveConfig, type NexmarkConfig } from './generator.js';
import type { NexmarkEvent } from './model.js';

export interface NexmarkSplit extends SourceSplit {
  /** The next event index to emit. */
  next: number;
  /** Exclusive end; null for an unbounded stream. */
  end: number | null;
  step: number;
}

/** The splits not assigned yet; null before the enumerator created them. */
export interface NexmarkEnumState {
  unassigned: NexmarkSplit[] | null;
}

export interface NexmarkSourceOptions {
  /** Number of splits (strides); default: the source's parallelism. */
  splits?: number;
  /** Events a reader emits per poll at most. */
  batchSize?: number;
}

export class NexmarkSource implements Source<NexmarkEvent, NexmarkSplit, NexmarkEnumState> {
  readonly boundedness: Boundedness;
  readonly config: NexmarkConfig;

  constructor(
    config: Partial<NexmarkConfig> = {},
    private readonly options: NexmarkSourceOptions = {},
  ) {
    this.config = resolveConfig(config);
    this.boundedness = this.config.events === Infinity ? 'CONTINUOUS_UNBOUNDED' : 'BOUNDED';
  }

  createEnumerator(ctx: SplitEnumeratorContext<NexmarkSplit>, restored?: NexmarkEnumState): NexmarkEnumerator {
    return new NexmarkEnumerator(ctx, restored, this.config.events, this.options.splits);
  }

  createReader(ctx: SourceReaderContext): NexmarkReader {
    return new NexmarkReader(ctx, new NexmarkGenerator(this.config), this.options.batchSize ?? 1024);
  }

  describe(): string {
    return `NexmarkSource(${this.config.events === Infinity ? 'unbounded' : `${this.config.events} events`}, ${this.config.ratePerSecond}/s)`;
  }
}

/** The splits of a run: `n` strides over [0, events). */
export function createSplits(events: number, n: number): NexmarkSplit[] {
  const end = events === Infinity ? null : events;
  const out: NexmarkSplit[] = [];
  for (let i = 0; i < n; i++) if (end === null || i < end) out.push({ splitId: String(i), next: i, end, step: n });
  return out;
}

export class NexmarkEnumerator implements SplitEnumerator<NexmarkSplit, NexmarkEnumState> {
  private unassigned: NexmarkSplit[] | null;

  constructor(
    private readonly ctx: SplitEnumeratorContext<NexmarkSplit>,
    restored: NexmarkEnumState | undefined,
    private readonly events: number,
    private readonly splits: number | undefined,
  ) {
    this.unassigned = restored?.unassigned ? restored.unassigned.map((s) => ({ ...s })) : null;
  }

  start(): void {
    this.unassigned ??= createSplits(this.events, Math.max(1, this.splits ?? this.ctx.currentParallelism()));
  }

  handleSplitRequest(subtask: number): void {
    this.start();
    const split = this.unassigned!.shift();
    if (split) this.ctx.assignSplit(split, subtask);
    else this.ctx.signalNoMoreSplits(subtask);
  }

  addSplitsBack(splits: NexmarkSplit[]): void {
    this.start();
    this.unassigned!.unshift(...splits.map((s) => ({ ...s })));
  }

  addReader(): void {
    // Readers ask for splits themselves.
  }

  snapshotState(_checkpointId?: number): NexmarkEnumState {
    return { unassigned: this.unassigned ? this.unassigned.map((s) => ({ ...s })) : null };
  }
}

const RESOLVED: Promise<void> = Promise.resolve();

export class NexmarkReader implements SourceReader<NexmarkEvent, NexmarkSplit> {
  private readonly splits: NexmarkSplit[] = [];
  private noMoreSplits = false;
  private requested = false;
  private waiter: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(
    private readonly ctx: SourceReaderContext,
    private readonly gen: NexmarkGenerator,
    private readonly batchSize: number,
  ) {}

  start(): void {
    this.request();
  }

  pollNext(output: ReaderOutput<NexmarkEvent>): InputStatus {
    const splits = this.splits;
    if (splits.length === 0) {
      if (this.noMoreSplits) return 'END_OF_INPUT';
      this.request();
      return 'NOTHING_AVAILABLE';
    }
    const gen = this.gen;
    if (splits.length === 1) {
      // the common case: one stride
      const s = splits[0]!;
      const end = s.end ?? Infinity;
      const step = s.step;
      let i = s.next;
      let n = this.batchSize;
      while (n-- > 0 && i < end) {
        const e = gen.event(i);
        const ts = gen.timestamp(i);
        i += step;
        s.next = i;
        output.collect(e, ts);
      }
      if (i >= end) this.finished(0);
    } else {
      // several strides: emit in global index order, so timestamps never go back
      for (let n = this.batchSize; n > 0 && splits.length > 0; n--) {
        let k = 0;
        for (let j = 1; j < splits.length; j++) if (splits[j]!.next < splits[k]!.next) k = j;
        const s = splits[k]!;
        const i = s.next;
        s.next = i + s.step;
        output.collect(gen.event(i), gen.timestamp(i));
        if (s.end !== null && s.next >= s.end) this.finished(k);
      }
    }
    if (splits.length === 0 && !this.noMoreSplits) this.request();
    return 'MORE_AVAILABLE';
  }

  private finished(k: number): void {
    this.splits.splice(k, 1);
  }

  isAvailable(): Promise<void> {
    if (this.splits.length > 0 || this.noMoreSplits) return RESOLVED;
    if (!this.waiter) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.waiter = { promise, resolve };
    }
    return this.waiter.promise;
  }

  addSplits(splits: NexmarkSplit[]): void {
    this.requested = false;
    for (const s of splits) if (s.end === null || s.next < s.end) this.splits.push({ ...s });
    if (splits.length > 0 && this.splits.length === 0) this.request();
    this.wake();
  }

  notifyNoMoreSplits(): void {
    this.requested = false;
    this.noMoreSplits = true;
    this.wake();
  }

  snapshotState(_checkpointId?: number): NexmarkSplit[] {
    return this.splits.map((s) => ({ ...s }));
  }

  close(): void {
    this.wake();
  }

  private request(): void {
    if (this.requested || this.noMoreSplits) return;
    this.requested = true;
    this.ctx.sendSplitRequest();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve();
  }
}
