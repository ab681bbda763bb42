/**
 * Flink's accumulators: values a job's functions add to during the run, merged over every subtask
 * and returned in the job's result (`JobExecutionResult.accumulators[name]`), and shown live by
 * the REST API (`/jobs/:id/accumulators`). A rich function registers one with
 * `getRuntimeContext().addAccumulator(name, acc)`; the subtasks of a task share its registry.
 */

/** The accumulator kinds, by Flink's class names. */
export type AccumulatorType = 'IntCounter' | 'LongCounter' | 'DoubleCounter' | 'Histogram';

/** An accumulator's local value as it travels from a subtask to the JobManager. */
export interface AccumulatorSnapshot {
  type: AccumulatorType;
  /** A number for counters; for a Histogram, the count per value (keys are the values). */
  value: number | Record<string, number>;
}

export interface Accumulator<V, R> {
  add(value: V): void;
  getLocalValue(): R;
  resetLocal(): void;
  /** Adds another accumulator's local value of the same kind to this one. */
  merge(other: Accumulator<V, R>): void;
  clone(): Accumulator<V, R>;
  /** Its kind and local value (what the subtask reports). */
  snapshot(): AccumulatorSnapshot;
}

abstract class Counter implements Accumulator<number, number> {
  protected value = 0;
  constructor(
    readonly type: 'IntCounter' | 'LongCounter' | 'DoubleCounter',
    initial = 0,
  ) {
    this.value = initial;
  }
  add(value: number): void {
    this.value += value;
  }
  getLocalValue(): number {
    return this.value;
  }
  resetLocal(): void {
    this.value = 0;
  }
  merge(other: Accumulator<number, number>): void {
    this.value += other.getLocalValue();
  }
  abstract clone(): Accumulator<number, number>;
  snapshot(): AccumulatorSnapshot {
    return { type: this.type, value: this.value };
  }
  toString(): string {
    return `${this.type} ${this.value}`;
  }
}

/** Flink's IntCounter: adds integers (32-bit, as in Java). */
export class IntCounter extends Counter {
  constructor(initial = 0) {
    super('IntCounter', initial);
  }
  override add(value: number): void {
    this.value = (this.value + Math.trunc(value)) | 0;
  }
  clone(): IntCounter {
    return new IntCounter(this.value);
  }
}

/** Flink's LongCounter: adds integers (exact up to 2^53 in JavaScript numbers). */
export class LongCounter extends Counter {
  constructor(initial = 0) {
    super('LongCounter', initial);
  }
  override add(value: number): void {
    this.value += Math.trunc(value);
  }
  clone(): LongCounter {
    return new LongCounter(this.value);
  }
}

/** Flink's DoubleCounter: adds numbers. */
export class DoubleCounter extends Counter {
  constructor(initial = 0) {
    super('DoubleCounter', initial);
  }
  clone(): DoubleCounter {
    return new DoubleCounter(this.value);
  }
}

/** Flink's Histogram: counts how often each integer value was added. */
export class Histogram implements Accumulator<number, Map<number, number>> {
  private readonly counts = new Map<number, number>();
  add(value: number): void {
    const v = Math.trunc(value);
    this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
  }
  /** The counts by value, in ascending order of value (Flink's TreeMap). */
  getLocalValue(): Map<number, number> {
    return new Map([...this.counts].sort((a, b) => a[0] - b[0]));
  }
  resetLocal(): void {
    this.counts.clear();
  }
  merge(other: Accumulator<number, Map<number, number>>): void {
    for (const [v, n] of other.getLocalValue()) this.counts.set(v, (this.counts.get(v) ?? 0) + n);
  }
  clone(): Histogram {
    const h = new Histogram();
    h.merge(this);
    return h;
  }
  snapshot(): AccumulatorSnapshot {
    return { type: 'Histogram', value: Object.fromEntries([...this.getLocalValue()].map(([v, n]) => [String(v), n])) };
  }
  toString(): string {
    return `Histogram ${valueString(this.snapshot())}`;
  }
}

/** Merges `b` into `a` (same kind); undefined when the kinds differ. */
export function mergeSnapshots(a: AccumulatorSnapshot, b: AccumulatorSnapshot): AccumulatorSnapshot | undefined {
  if (a.type !== b.type) return undefined;
  if (typeof a.value === 'number' && typeof b.value === 'number') {
    const sum = a.value + b.value;
    return { type: a.type, value: a.type === 'IntCounter' ? sum | 0 : sum };
  }
  if (typeof a.value === 'object' && typeof b.value === 'object') {
    const counts: Record<string, number> = { ...a.value };
    for (const [k, n] of Object.entries(b.value)) counts[k] = (counts[k] ?? 0) + n;
    return { type: a.type, value: counts };
  }
  return undefined;
}

/** The accumulator's value as a program reads it from its result: a number, or a Histogram's counts by value. */
export function resultValue(s: AccumulatorSnapshot): number | Record<string, number> {
  return typeof s.value === 'number' ? s.value : { ...s.value };
}

/** Flink's string form of a local value (the REST API's `value`): `5`, or `{1=2, 3=1}` for a Histogram. */
export function valueString(s: AccumulatorSnapshot): string {
  if (typeof s.value === 'number') return String(s.value);
  const entries = Object.entries(s.value).sort((x, y) => Number(x[0]) - Number(y[0]));
  return `{${entries.map(([k, n]) => `${k}=${n}`).join(', ')}}`;
}
