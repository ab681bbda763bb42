/**
 * Durations and event time. A duration is milliseconds (`number`) or a string such as `'10s'`;
 * every API that takes one accepts both and normalises with `toMillis`. Watermarks are
 * milliseconds; `MAX_WATERMARK` marks the end of event time (end of a bounded input).
 */
import { toMillis, type Duration } from '../util/duration.js';

export { toMillis, type Duration };

export const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;
export const MIN_WATERMARK = Number.MIN_SAFE_INTEGER;

/** Assigns an event timestamp (ms) to each record; `previous` is the timestamp it already carries, if any. */
export type TimestampAssigner<T> = (event: T, previous: number | undefined) => number;

/** Where a watermark generator emits watermarks and idleness. */
export interface WatermarkOutput {
  emitWatermark(watermark: number): void;
  markIdle(): void;
  markActive(): void;
}

/** Flink's WatermarkGenerator: told of every event, and asked periodically (`pipeline.auto-watermark-interval`). */
export interface WatermarkGenerator<T> {
  onEvent(event: T, timestamp: number, output: WatermarkOutput): void;
  onPeriodicEmit(output: WatermarkOutput): void;
}

/** Emits `maxTimestamp - outOfOrderness - 1` periodically, as Flink's BoundedOutOfOrdernessWatermarks. */
export class BoundedOutOfOrdernessWatermarks<T> implements WatermarkGenerator<T> {
  private maxTimestamp: number;
  constructor(private readonly outOfOrderness: number) {
    this.maxTimestamp = MIN_WATERMARK + outOfOrderness + 1;
  }
  onEvent(_event: T, timestamp: number): void {
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
  }
  onPeriodicEmit(output: WatermarkOutput): void {
    output.emitWatermark(this.maxTimestamp - this.outOfOrderness - 1);
  }
}

/**
 * Wraps a generator: when no event arrives for `idleTimeout` ms of processing time the output
 * is marked idle, so downstream operators stop waiting on it; the next event makes it active.
 */
export class WatermarksWithIdleness<T> implements WatermarkGenerator<T> {
  private lastEvent = Date.now();
  private idle = false;
  constructor(
    private readonly inner: WatermarkGenerator<T>,
    private readonly idleTimeout: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.lastEvent = clock();
  }
  onEvent(event: T, timestamp: number, output: WatermarkOutput): void {
    this.lastEvent = this.clock();
    if (this.idle) {
      this.idle = false;
      output.markActive();
    }
    this.inner.onEvent(event, timestamp, output);
  }
  onPeriodicEmit(output: WatermarkOutput): void {
    if (this.clock() - this.lastEvent >= this.idleTimeout) {
      if (!this.idle) {
        this.idle = true;
        output.markIdle();
      }
      return;
    }
    this.inner.onPeriodicEmit(output);
  }
}

class NoWatermarksGenerator<T> implements WatermarkGenerator<T> {
  onEvent(): void {}
  onPeriodicEmit(): void {}
}

/** How a stream gets timestamps and watermarks (Flink's WatermarkStrategy). Immutable: each `with*` returns a new strategy. */
export class WatermarkStrategy<T> {
  private constructor(
    /** Creates the generator for one source reader or one assigner subtask. */
    readonly createWatermarkGenerator: () => WatermarkGenerator<T>,
    readonly timestampAssigner: TimestampAssigner<T> | undefined,
    readonly idleTimeout: number | undefined,
    /** false only for noWatermarks(): the stream carries no watermarks but MAX at its end. */
    readonly emitsWatermarks: boolean,
    readonly description: string,
  ) {}

  static noWatermarks<T = unknown>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new NoWatermarksGenerator<T>(), undefined, undefined, false, 'noWatermarks()');
  }
  static forMonotonousTimestamps<T = unknown>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(
      () => new BoundedOutOfOrdernessWatermarks<T>(0),
      undefined,
      undefined,
      true,
      'forMonotonousTimestamps()',
    );
  }
  static forBoundedOutOfOrderness<T = unknown>(maxOutOfOrderness: Duration): WatermarkStrategy<T> {
    const ms = toMillis(maxOutOfOrderness, 'maxOutOfOrderness');
    return new WatermarkStrategy<T>(
      () => new BoundedOutOfOrdernessWatermarks<T>(ms),
      undefined,
      undefined,
      true,
      `forBoundedOutOfOrderness(${ms})`,
    );
  }
  /** A custom generator, e.g. a punctuated one that emits from onEvent. */
  static forGenerator<T = unknown>(factory: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(factory, undefined, undefined, true, 'forGenerator()');
  }
  withTimestampAssigner<U extends T>(assigner: TimestampAssigner<U>): WatermarkStrategy<U> {
    return new WatermarkStrategy<U>(
      this.createWatermarkGenerator as () => WatermarkGenerator<U>,
      assigner,
      this.idleTimeout,
      this.emitsWatermarks,
      this.description + '.withTimestampAssigner()',
    );
  }
  withIdleness(timeout: Duration): WatermarkStrategy<T> {
    const ms = toMillis(timeout, 'idleness');
    return new WatermarkStrategy<T>(
      this.createWatermarkGenerator,
      this.timestampAssigner,
      ms,
      this.emitsWatermarks,
      this.description + `.withIdleness(${ms})`,
    );
  }
  /** The generator a runtime uses: the base generator, wrapped for idleness when configured. */
  createGenerator(clock: () => number = Date.now): WatermarkGenerator<T> {
    const g = this.createWatermarkGenerator();
    return this.idleTimeout === undefined ? g : new WatermarksWithIdleness(g, this.idleTimeout, clock);
  }
}
