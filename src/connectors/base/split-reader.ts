/**
 * What split-based sources share (Flink's flink-connector-base): the reader's side of split
 * assignment, a static split enumerator, and a batching reader over splits it can emit from
 * synchronously. A new source is mostly its splits and how to emit from one.
 */
import type {
  InputStatus,
  ReaderOutput,
  SourceOutput,
  SourceReader,
  SourceReaderContext,
  SourceSplit,
  SplitEnumerator,
  SplitEnumeratorContext,
} from '../../api/source.js';
import { AvailabilitySignal } from './availability.js';
import { SplitOutputs } from './split-outputs.js';

export { AvailabilitySignal };

/** Records a reader emits per pollNext call at most: large enough to amortise the call, small enough for barriers to get through. */
export const DEFAULT_BATCH_SIZE = 512;

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * The splits a reader was given and has not started, and its side of the conversation with the
 * enumerator: at most one split request is outstanding, and none after "no more splits". Every
 * change notifies the reader's availability signal.
 */
export class SplitAssignments<Split> {
  readonly pending: Split[] = [];
  noMoreSplits = false;
  private requestOutstanding = false;

  constructor(
    private readonly ctx: SourceReaderContext,
    private readonly signal: AvailabilitySignal,
  ) {}

  add(splits: Split[]): void {
    this.requestOutstanding = false;
    this.pending.push(...splits);
    this.signal.notify();
  }

  noMore(): void {
    this.requestOutstanding = false;
    this.noMoreSplits = true;
    this.signal.notify();
  }

  /** Asks the enumerator for a split, unless a request is already out or there are no more. */
  request(): void {
    if (this.requestOutstanding || this.noMoreSplits) return;
    this.requestOutstanding = true;
    this.ctx.sendSplitRequest();
  }

  next(): Split | undefined {
    return this.pending.shift();
  }

  /** A split waits, or the enumerator said there are no more: the reader can make progress. */
  get ready(): boolean {
    return this.pending.length > 0 || this.noMoreSplits;
  }
}

/** Enumerator state of StaticSplitEnumerator: the splits not assigned yet; null when they were not computed yet. */
export interface StaticEnumState<Split> {
  splits: Split[] | null;
}

/**
 * Hands out a fixed list of splits, one per request, in list order (Flink's
 * IteratorSourceEnumerator / StaticFileSplitEnumerator); answers signalNoMoreSplits once the list
 * is empty. The list is computed lazily (possibly asynchronously, e.g. a directory scan);
 * requests that arrive before it is ready are answered when it is.
 */
export class StaticSplitEnumerator<Split extends SourceSplit> implements SplitEnumerator<Split, StaticEnumState<Split>> {
  private splits: Split[] | null;
  private computing: Promise<void> | undefined;
  private readonly waiting: number[] = [];
  private readonly pendingBack: Split[] = [];
  private failure: unknown;

  constructor(
    private readonly ctx: SplitEnumeratorContext<Split>,
    restored: StaticEnumState<Split> | undefined,
    private readonly createSplits: () => Split[] | Promise<Split[]>,
  ) {
    this.splits = restored?.splits ? restored.splits.slice() : null;
  }

  start(): void | Promise<void> {
    if (this.splits) return;
    return this.ensureSplits();
  }

  handleSplitRequest(subtask: number): void {
    if (this.failure) throw this.failure;
    if (!this.splits) {
      this.waiting.push(subtask);
      void this.ensureSplits()?.catch(() => {
        // reported through start() or the next request
      });
      return;
    }
    const split = this.splits.shift();
    if (split) this.ctx.assignSplit(split, subtask);
    else this.ctx.signalNoMoreSplits(subtask);
  }

  addSplitsBack(splits: Split[]): void {
    // A failed reader's splits go first: they were the oldest work.
    if (this.splits) this.splits.unshift(...splits);
    else this.pendingBack.push(...splits);
  }

  addReader(): void {
    // Readers ask for splits themselves.
  }

  snapshotState(): StaticEnumState<Split> {
    // Not computed yet means nothing was assigned yet: a restore recomputes them all.
    if (!this.splits) return { splits: null };
    return { splits: this.splits.map((s) => ({ ...s })) };
  }

  private ensureSplits(): Promise<void> | undefined {
    if (this.splits) return undefined;
    if (!this.computing) {
      let created: Split[] | Promise<Split[]>;
      try {
        created = this.createSplits();
      } catch (e) {
        this.failure = e;
        throw e;
      }
      if (Array.isArray(created)) {
        this.ready(created);
        return undefined;
      }
      this.computing = created.then(
        (s) => this.ready(s),
        (e: unknown) => {
          this.failure = e;
          throw e;
        },
      );
    }
    return this.computing;
  }

  private ready(splits: Split[]): void {
    this.splits = [...this.pendingBack, ...splits];
    this.pendingBack.length = 0;
    for (const subtask of this.waiting.splice(0)) this.handleSplitRequest(subtask);
  }
}

/**
 * A reader over splits it can emit from synchronously (in-memory, generated). It asks for a split
 * at start and after finishing one (at most one request outstanding), emits up to
 * `batchSize()` records per pollNext, and ends once the enumerator said there are no more splits.
 */
export abstract class SyncSplitReader<T, Split extends SourceSplit> implements SourceReader<T, Split> {
  protected current: Split | undefined;
  protected readonly signal = new AvailabilitySignal();
  protected readonly splits: SplitAssignments<Split>;
  /** Each split emits through its own output (per-split watermarks). */
  private readonly outputs = new SplitOutputs<T>();

  constructor(protected readonly ctx: SourceReaderContext) {
    this.splits = new SplitAssignments<Split>(ctx, this.signal);
  }

  /** Emits at most `max` records of `split`, advancing its position; returns how many. */
  protected abstract emitFrom(split: Split, output: SourceOutput<T>, max: number): number;
  protected abstract isFinished(split: Split): boolean;

  /** How many records this poll may emit; 0 means wait for isAvailable() (e.g. rate limiting). */
  protected batchSize(): number {
    return DEFAULT_BATCH_SIZE;
  }
  /** Told how many records a poll emitted (rate limiters count them). */
  protected onEmitted(_count: number): void {}

  start(): void {
    if (!this.current && this.splits.pending.length === 0) this.splits.request();
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    const budget = this.batchSize();
    if (budget <= 0) return 'NOTHING_AVAILABLE';
    let emitted = 0;
    try {
      while (emitted < budget) {
        let split = this.current;
        if (split && this.isFinished(split)) {
          this.outputs.finished(split.splitId);
          this.current = split = undefined;
        }
        if (!split) {
          split = this.current = this.splits.next();
          if (split) this.outputs.added(split.splitId);
          this.outputs.sync(output);
          if (!split) {
            if (this.splits.noMoreSplits) return emitted > 0 ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
            this.splits.request();
            return emitted > 0 ? 'MORE_AVAILABLE' : 'NOTHING_AVAILABLE';
          }
          continue;
        }
        emitted += this.emitFrom(split, this.outputs.get(split.splitId, output), budget - emitted);
      }
    } finally {
      if (emitted > 0) this.onEmitted(emitted);
    }
    return 'MORE_AVAILABLE';
  }

  isAvailable(): Promise<void> {
    if (this.hasWork()) return RESOLVED;
    return this.signal.wait();
  }

  protected hasWork(): boolean {
    return (this.current !== undefined && !this.isFinished(this.current)) || this.splits.ready;
  }

  addSplits(splits: Split[]): void {
    this.splits.add(splits);
  }

  notifyNoMoreSplits(): void {
    this.splits.noMore();
  }

  snapshotState(): Split[] {
    const out: Split[] = [];
    if (this.current && !this.isFinished(this.current)) out.push({ ...this.current });
    for (const s of this.splits.pending) out.push({ ...s });
    return out;
  }

  close(): void {
    this.signal.notify();
  }
}
