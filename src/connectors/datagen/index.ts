/**
 * Flink's DataGeneratorSource: record i is generator(i) for i in [0, count), deterministic, so a
 * restore from a checkpoint regenerates exactly what was not emitted. Finite counts are cut into
 * index ranges; count = Infinity is unbounded and strided across readers. `ratePerSecond` limits
 * the whole source (divided across readers) with timers, never a busy loop.
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
import { DEFAULT_BATCH_SIZE, StaticSplitEnumerator, SyncSplitReader, type StaticEnumState } from '../base/split-reader.js';
import { splitRange } from '../collection/index.js';

/**
 * Indexes next, next + step, ... below end (end null: unbounded). Plain numbers and null, so the
 * split survives msgpack, structured clone and JSON savepoints.
 */
export interface DataGeneratorSplit extends SourceSplit {
  next: number;
  end: number | null;
  step: number;
}

export interface DataGeneratorOptions {
  /** Records per second for the whole source, shared evenly by its readers. */
  ratePerSecond?: number;
}

const SPLITS_PER_READER = 4;

export class DataGeneratorSource<T> implements Source<T, DataGeneratorSplit, StaticEnumState<DataGeneratorSplit>> {
  readonly boundedness: Boundedness;
  readonly ratePerSecond: number | undefined;

  constructor(
    private readonly generator: (index: number) => T,
    readonly count: number,
    options: DataGeneratorOptions = {},
  ) {
    if (typeof generator !== 'function')
      throw new WeirError('WEIR_BAD_PIPELINE', 'DataGeneratorSource: the generator must be a function (index) => record');
    if (!(count === Infinity || (Number.isSafeInteger(count) && count >= 0))) {
      throw new WeirError('WEIR_BAD_PIPELINE', `DataGeneratorSource: count must be a non-negative integer or Infinity, got ${count}`);
    }
    const rate = options.ratePerSecond;
    if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
      throw new WeirError('WEIR_BAD_PIPELINE', `DataGeneratorSource: ratePerSecond must be a positive number, got ${rate}`);
    }
    this.ratePerSecond = rate;
    this.boundedness = count === Infinity ? 'CONTINUOUS_UNBOUNDED' : 'BOUNDED';
  }

  createEnumerator(
    ctx: SplitEnumeratorContext<DataGeneratorSplit>,
    restored?: StaticEnumState<DataGeneratorSplit>,
  ): StaticSplitEnumerator<DataGeneratorSplit> {
    return new StaticSplitEnumerator(ctx, restored, () => {
      const parallelism = Math.max(1, ctx.currentParallelism());
      if (this.count === Infinity) {
        // Ranges of an infinite space would start readers at huge indexes; stride instead, one split per reader.
        return Array.from({ length: parallelism }, (_, i) => ({ splitId: String(i), next: i, end: null, step: parallelism }));
      }
      return splitRange(this.count, parallelism * SPLITS_PER_READER).map(([start, end], i) => ({
        splitId: String(i),
        next: start,
        end,
        step: 1,
      }));
    });
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, DataGeneratorSplit> {
    const rate = this.ratePerSecond === undefined ? undefined : this.ratePerSecond / Math.max(1, ctx.parallelism);
    return new DataGeneratorReader(ctx, this.generator, rate);
  }

  describe(): string {
    const count = this.count === Infinity ? 'unbounded' : `count=${this.count}`;
    return `DataGeneratorSource(${count}${this.ratePerSecond === undefined ? '' : `, ${this.ratePerSecond}/s`})`;
  }
}

/** Largest burst after an idle (e.g. backpressured) period, in milliseconds of rate: no catching up on lost time. */
const MAX_BURST_MS = 50;

class DataGeneratorReader<T> extends SyncSplitReader<T, DataGeneratorSplit> {
  private readonly perMs: number;
  private tokens = 0;
  private lastRefill = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerPromise: Promise<void> | undefined;

  constructor(
    ctx: SourceReaderContext,
    private readonly generator: (index: number) => T,
    ratePerSecond: number | undefined,
  ) {
    super(ctx);
    this.perMs = ratePerSecond === undefined ? 0 : ratePerSecond / 1000;
  }

  override start(): void {
    this.lastRefill = performance.now();
    super.start();
  }

  protected override batchSize(): number {
    if (this.perMs === 0) return DEFAULT_BATCH_SIZE;
    if (this.timerPromise) return 0;
    const now = performance.now();
    const cap = Math.max(1, this.perMs * MAX_BURST_MS);
    this.tokens = Math.min(cap, this.tokens + (now - this.lastRefill) * this.perMs);
    this.lastRefill = now;
    const n = Math.min(DEFAULT_BATCH_SIZE, Math.floor(this.tokens));
    if (n === 0) this.armTimer((1 - this.tokens) / this.perMs);
    return n;
  }

  protected override onEmitted(count: number): void {
    if (this.perMs === 0) return;
    // When this leaves less than one token, the next poll arms the timer.
    this.tokens -= count;
  }

  override isAvailable(): Promise<void> {
    return this.timerPromise ?? super.isAvailable();
  }

  override close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerPromise = undefined;
    super.close();
  }

  private armTimer(ms: number): void {
    if (this.timerPromise) return;
    this.timerPromise = new Promise<void>((resolve) => {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.timerPromise = undefined;
          resolve();
        },
        Math.max(1, Math.ceil(ms)),
      );
    });
  }

  protected emitFrom(split: DataGeneratorSplit, output: SourceOutput<T>, max: number): number {
    const gen = this.generator;
    const step = split.step;
    const end = split.end ?? Infinity;
    let emitted = 0;
    while (emitted < max && split.next < end) {
      const i = split.next;
      split.next = i + step;
      emitted++;
      output.collect(gen(i));
    }
    return emitted;
  }

  protected isFinished(split: DataGeneratorSplit): boolean {
    return split.end !== null && split.next >= split.end;
  }
}
