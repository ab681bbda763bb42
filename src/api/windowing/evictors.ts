/**
 * Window evictors (Flink's Evictor, CountEvictor, TimeEvictor, DeltaEvictor). When a window fires,
 * the evictor removes elements before (evictBefore) and/or after (evictAfter) the window function
 * runs; what is left stays in the window. `elements` is an array of TimestampedValue: an evictor
 * removes elements by splicing it in place (Flink's Iterator.remove()).
 */
import { WeirError } from '../../errors.js';
import { toMillis, type Duration } from '../time.js';
import { deltaOf, type DeltaFunction } from './triggers.js';
import type { Window } from './window.js';

/** An element with its timestamp (undefined when it has none), as evictors see it. */
export class TimestampedValue<T = unknown> {
  constructor(
    readonly value: T,
    readonly timestamp: number | undefined,
  ) {}
  getValue(): T {
    return this.value;
  }
  getTimestamp(): number | undefined {
    return this.timestamp;
  }
  hasTimestamp(): boolean {
    return this.timestamp !== undefined;
  }
}

export interface EvictorContext {
  getCurrentProcessingTime(): number;
  getCurrentWatermark(): number;
}

export interface Evictor<T = unknown, W extends Window = Window> {
  evictBefore(elements: TimestampedValue<T>[], size: number, window: W, ctx: EvictorContext): void;
  evictAfter(elements: TimestampedValue<T>[], size: number, window: W, ctx: EvictorContext): void;
}

/** Keeps at most `maxCount` elements: the oldest are evicted. */
export class CountEvictor implements Evictor {
  private constructor(
    private readonly maxCount: number,
    private readonly doEvictAfter: boolean,
  ) {}
  static of(maxCount: number, doEvictAfter = false): CountEvictor {
    if (!Number.isInteger(maxCount) || maxCount < 0)
      throw new WeirError('WEIR_BAD_PIPELINE', `CountEvictor.of needs a non-negative integer count, got ${String(maxCount)}`);
    return new CountEvictor(maxCount, doEvictAfter);
  }
  evictBefore(elements: TimestampedValue[], size: number): void {
    if (!this.doEvictAfter) this.evict(elements, size);
  }
  evictAfter(elements: TimestampedValue[], size: number): void {
    if (this.doEvictAfter) this.evict(elements, size);
  }
  toString(): string {
    return `CountEvictor(${this.maxCount})`;
  }
  private evict(elements: TimestampedValue[], size: number): void {
    if (size <= this.maxCount) return;
    elements.splice(0, size - this.maxCount);
  }
}

/** Keeps the elements within `windowSize` of the newest element's timestamp. */
export class TimeEvictor implements Evictor {
  private constructor(
    private readonly windowSize: number,
    private readonly doEvictAfter: boolean,
  ) {}
  static of(windowSize: Duration, doEvictAfter = false): TimeEvictor {
    return new TimeEvictor(toMillis(windowSize, 'TimeEvictor window size'), doEvictAfter);
  }
  getWindowSize(): number {
    return this.windowSize;
  }
  evictBefore(elements: TimestampedValue[]): void {
    if (!this.doEvictAfter) this.evict(elements);
  }
  evictAfter(elements: TimestampedValue[]): void {
    if (this.doEvictAfter) this.evict(elements);
  }
  toString(): string {
    return `TimeEvictor(${this.windowSize})`;
  }
  private evict(elements: TimestampedValue[]): void {
    // as Flink: elements without timestamps (judged by the first) are kept
    if (elements.length === 0 || !elements[0]!.hasTimestamp()) return;
    let current = Number.MIN_SAFE_INTEGER;
    for (const e of elements) if (e.timestamp! > current) current = e.timestamp!;
    const cutoff = current - this.windowSize;
    for (let i = elements.length - 1; i >= 0; i--) if (elements[i]!.timestamp! <= cutoff) elements.splice(i, 1);
  }
}

/** Evicts the elements whose delta to the newest element is at least `threshold`. */
export class DeltaEvictor<T = unknown> implements Evictor<T> {
  private readonly delta: (a: T, b: T) => number;
  private constructor(
    private readonly threshold: number,
    deltaFunction: DeltaFunction<T>,
    private readonly doEvictAfter: boolean,
  ) {
    this.delta = deltaOf(deltaFunction, 'DeltaEvictor.of');
  }
  static of<T>(threshold: number, deltaFunction: DeltaFunction<T>, doEvictAfter = false): DeltaEvictor<T> {
    if (typeof threshold !== 'number' || Number.isNaN(threshold))
      throw new WeirError('WEIR_BAD_PIPELINE', `DeltaEvictor.of needs a numeric threshold, got ${String(threshold)}`);
    return new DeltaEvictor<T>(threshold, deltaFunction, doEvictAfter);
  }
  evictBefore(elements: TimestampedValue<T>[]): void {
    if (!this.doEvictAfter) this.evict(elements);
  }
  evictAfter(elements: TimestampedValue<T>[]): void {
    if (this.doEvictAfter) this.evict(elements);
  }
  toString(): string {
    return `DeltaEvictor(${this.threshold})`;
  }
  private evict(elements: TimestampedValue<T>[]): void {
    if (elements.length === 0) return;
    const last = elements[elements.length - 1]!.value;
    for (let i = elements.length - 1; i >= 0; i--) if (this.delta(elements[i]!.value, last) >= this.threshold) elements.splice(i, 1);
  }
}

export function checkEvictor(e: unknown, api: string): Evictor {
  const o = e as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object' || typeof o.evictBefore !== 'function' || typeof o.evictAfter !== 'function') {
    throw new WeirError('WEIR_BAD_PIPELINE', `${api} needs an Evictor (an object with evictBefore and evictAfter)`);
  }
  return e as Evictor;
}
