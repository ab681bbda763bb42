/**
 * Flink's metric types: Counter, Gauge, Meter and Histogram, and the "views" whose value is
 * derived over time (MeterView, TimerGauge), which the registry updates every
 * UPDATE_INTERVAL_SECONDS. Counting stays a field increment: the record path never allocates,
 * locks or messages for a metric.
 */
import { performance } from 'node:perf_hooks';

export interface Counter {
  inc(n?: number): void;
  dec(n?: number): void;
  getCount(): number;
}

export interface Gauge<T = number> {
  getValue(): T;
}

export interface Meter {
  markEvent(n?: number): void;
  /** Events per second over the meter's time span. */
  getRate(): number;
  getCount(): number;
}

export interface HistogramStatistics {
  size: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  quantile(q: number): number;
}

export interface Histogram {
  update(value: number): void;
  getCount(): number;
  getStatistics(): HistogramStatistics;
}

export type Metric = Counter | Gauge<unknown> | Meter | Histogram;
export type MetricKind = 'counter' | 'gauge' | 'meter' | 'histogram';

/** Something the registry updates every UPDATE_INTERVAL_SECONDS (Flink's View). */
export interface View {
  update(): void;
}

/** Flink's View.UPDATE_INTERVAL_SECONDS. */
export const UPDATE_INTERVAL_SECONDS = 5;

export class SimpleCounter implements Counter {
  private count = 0;
  inc(n = 1): void {
    this.count += n;
  }
  dec(n = 1): void {
    this.count -= n;
  }
  getCount(): number {
    return this.count;
  }
}

/** A counter whose count lives elsewhere (a field the record path already increments). */
export class ReadOnlyCounter implements Counter {
  constructor(private readonly read: () => number) {}
  inc(): void {
    throw new TypeError('this counter is maintained by the runtime');
  }
  dec(): void {
    throw new TypeError('this counter is maintained by the runtime');
  }
  getCount(): number {
    return this.read();
  }
}

/**
 * Flink's MeterView: the rate of a counter over the last `timeSpanSeconds` (default 60), from
 * counts sampled every UPDATE_INTERVAL_SECONDS. Until a whole span has passed, the rate is over the
 * time that has (Flink divides by the full span from the start, which under-reports a young task).
 */
export class MeterView implements Meter, View {
  private readonly counter: Counter;
  private readonly values: number[];
  private time = 0;
  private updates = 0;
  private rate = 0;

  constructor(counter?: Counter, timeSpanSeconds = 60) {
    this.counter = counter ?? new SimpleCounter();
    const span = Math.max(UPDATE_INTERVAL_SECONDS, timeSpanSeconds - (timeSpanSeconds % UPDATE_INTERVAL_SECONDS));
    this.values = new Array<number>(span / UPDATE_INTERVAL_SECONDS + 1).fill(0);
  }
  markEvent(n = 1): void {
    this.counter.inc(n);
  }
  getCount(): number {
    return this.counter.getCount();
  }
  getRate(): number {
    return this.rate;
  }
  update(): void {
    const len = this.values.length;
    this.time = (this.time + 1) % len;
    this.values[this.time] = this.counter.getCount();
    this.updates = Math.min(this.updates + 1, len - 1);
    const oldest = this.values[(this.time - this.updates + len) % len]!;
    this.rate = (this.values[this.time]! - oldest) / (this.updates * UPDATE_INTERVAL_SECONDS);
  }
}

/**
 * Flink's TimerGauge: how many milliseconds per second a condition held (idle, backpressured) over
 * the last update interval, an interval still open counting up to now. Also the accumulated total.
 */
export class TimerGauge implements Gauge<number>, View {
  private start = -1;
  private accumulated = 0;
  private total = 0;
  private intervalStart = performance.now();
  private value = 0;

  markStart(): void {
    if (this.start < 0) this.start = performance.now();
  }
  markEnd(): void {
    if (this.start < 0) return;
    const d = performance.now() - this.start;
    this.accumulated += d;
    this.total += d;
    this.start = -1;
  }
  get measuring(): boolean {
    return this.start >= 0;
  }
  update(): void {
    const now = performance.now();
    let acc = this.accumulated;
    if (this.start >= 0) {
      const d = now - this.start;
      acc += d;
      this.total += d;
      this.start = now;
    }
    const elapsed = now - this.intervalStart;
    this.value = elapsed > 0 ? Math.min(1000, (acc * 1000) / elapsed) : 0;
    this.accumulated = 0;
    this.intervalStart = now;
  }
  /** Milliseconds per second over the last interval. */
  getValue(): number {
    return Math.round(this.value);
  }
  /** Milliseconds in total, an open measurement included. */
  getAccumulatedCount(): number {
    return Math.round(this.total + (this.start >= 0 ? performance.now() - this.start : 0));
  }
}

/** Flink's DescriptiveStatisticsHistogram: statistics over a window of the latest `size` values. */
export class DescriptiveStatisticsHistogram implements Histogram {
  private readonly window: Float64Array;
  private count = 0;

  constructor(size = 500) {
    this.window = new Float64Array(Math.max(1, size));
  }
  update(value: number): void {
    this.window[this.count % this.window.length] = value;
    this.count++;
  }
  getCount(): number {
    return this.count;
  }
  getStatistics(): HistogramStatistics {
    const n = Math.min(this.count, this.window.length);
    const sorted = Array.from(this.window.subarray(0, n)).sort((a, b) => a - b);
    return histogramStatistics(sorted);
  }
}

/** Statistics of sorted values (quantiles by linear interpolation, as Apache Commons Math's default estimation). */
export function histogramStatistics(sorted: readonly number[]): HistogramStatistics {
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = n ? sum / n : 0;
  let sq = 0;
  for (const v of sorted) sq += (v - mean) ** 2;
  return {
    size: n,
    min: n ? sorted[0]! : 0,
    max: n ? sorted[n - 1]! : 0,
    mean,
    stddev: n > 1 ? Math.sqrt(sq / (n - 1)) : 0,
    quantile(q: number): number {
      if (n === 0) return 0;
      const pos = q * (n + 1);
      if (pos < 1) return sorted[0]!;
      if (pos >= n) return sorted[n - 1]!;
      const lo = Math.floor(pos);
      return sorted[lo - 1]! + (pos - lo) * (sorted[lo]! - sorted[lo - 1]!);
    },
  };
}

export function kindOf(m: Metric): MetricKind {
  if ('getStatistics' in m) return 'histogram';
  if ('getRate' in m) return 'meter';
  if ('getCount' in m) return 'counter';
  return 'gauge';
}

export function isView(m: unknown): m is View {
  return typeof (m as Partial<View>).update === 'function' && !('getStatistics' in (m as object));
}
