/**
 * Window assigners (Flink's TumblingEventTimeWindows and friends). An assigner maps a record's
 * timestamp to the windows it belongs to; the window operator in the runtime does the rest.
 * Windows are half-open [start, end); a window fires when time passes `maxTimestamp() = end - 1`.
 */
import { toMillis, type Duration } from './time.js';

export class TimeWindow {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}
  maxTimestamp(): number {
    return this.end - 1;
  }
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }
  equals(other: TimeWindow): boolean {
    return this.start === other.start && this.end === other.end;
  }
  toString(): string {
    return `TimeWindow{start=${this.start}, end=${this.end}}`;
  }
  /** Flink's TimeWindow.getWindowStartWithOffset. */
  static getWindowStartWithOffset(timestamp: number, offset: number, windowSize: number): number {
    const remainder = (((timestamp - offset) % windowSize) + windowSize) % windowSize;
    return timestamp - remainder;
  }
}

export interface WindowAssignerContext {
  currentProcessingTime(): number;
}

export interface WindowAssigner {
  readonly isEventTime: boolean;
  /** Session windows merge: each record gets its own window, overlapping ones are merged. */
  readonly isMerging: boolean;
  assignWindows(timestamp: number, ctx: WindowAssignerContext): TimeWindow[];
  describe(): string;
}

/** Tumbling windows of `size` ms starting at `offset` (mod size). */
export class TumblingWindowAssigner implements WindowAssigner {
  readonly isMerging = false;
  constructor(
    readonly isEventTime: boolean,
    readonly size: number,
    readonly offset: number,
  ) {
    if (size <= 0) throw new Error(`Tumbling window size must be positive, got ${size}`);
  }
  assignWindows(timestamp: number, ctx: WindowAssignerContext): TimeWindow[] {
    const t = this.isEventTime ? timestamp : ctx.currentProcessingTime();
    const start = TimeWindow.getWindowStartWithOffset(t, this.offset, this.size);
    return [new TimeWindow(start, start + this.size)];
  }
  describe(): string {
    return `Tumbling${this.isEventTime ? 'EventTime' : 'ProcessingTime'}Windows(${this.size})`;
  }
}

/** Windows of `size` ms starting every `slide` ms at `offset` (mod slide). */
export class SlidingWindowAssigner implements WindowAssigner {
  readonly isMerging = false;
  constructor(
    readonly isEventTime: boolean,
    readonly size: number,
    readonly slide: number,
    readonly offset: number,
  ) {
    if (size <= 0 || slide <= 0) throw new Error(`Sliding windows need a positive size and slide, got ${size}/${slide}`);
  }
  assignWindows(timestamp: number, ctx: WindowAssignerContext): TimeWindow[] {
    const t = this.isEventTime ? timestamp : ctx.currentProcessingTime();
    const out: TimeWindow[] = [];
    const lastStart = TimeWindow.getWindowStartWithOffset(t, this.offset, this.slide);
    for (let start = lastStart; start > t - this.size; start -= this.slide) out.push(new TimeWindow(start, start + this.size));
    return out;
  }
  describe(): string {
    return `Sliding${this.isEventTime ? 'EventTime' : 'ProcessingTime'}Windows(${this.size}, ${this.slide})`;
  }
}

class Session implements WindowAssigner {
  readonly isMerging = true;
  constructor(
    readonly isEventTime: boolean,
    readonly gap: number,
  ) {
    if (gap <= 0) throw new Error(`Session gap must be positive, got ${gap}`);
  }
  assignWindows(timestamp: number, ctx: WindowAssignerContext): TimeWindow[] {
    const t = this.isEventTime ? timestamp : ctx.currentProcessingTime();
    return [new TimeWindow(t, t + this.gap)];
  }
  describe(): string {
    return `${this.isEventTime ? 'EventTime' : 'ProcessingTime'}SessionWindows(${this.gap})`;
  }
}

export const TumblingEventTimeWindows = {
  of: (size: Duration, offset: Duration = 0): WindowAssigner =>
    new TumblingWindowAssigner(true, toMillis(size, 'window size'), toMillis(offset, 'window offset')),
};
export const TumblingProcessingTimeWindows = {
  of: (size: Duration, offset: Duration = 0): WindowAssigner =>
    new TumblingWindowAssigner(false, toMillis(size, 'window size'), toMillis(offset, 'window offset')),
};
export const SlidingEventTimeWindows = {
  of: (size: Duration, slide: Duration, offset: Duration = 0): WindowAssigner =>
    new SlidingWindowAssigner(true, toMillis(size, 'window size'), toMillis(slide, 'window slide'), toMillis(offset, 'window offset')),
};
export const SlidingProcessingTimeWindows = {
  of: (size: Duration, slide: Duration, offset: Duration = 0): WindowAssigner =>
    new SlidingWindowAssigner(false, toMillis(size, 'window size'), toMillis(slide, 'window slide'), toMillis(offset, 'window offset')),
};
export const EventTimeSessionWindows = {
  withGap: (gap: Duration): WindowAssigner => new Session(true, toMillis(gap, 'session gap')),
};
export const ProcessingTimeSessionWindows = {
  withGap: (gap: Duration): WindowAssigner => new Session(false, toMillis(gap, 'session gap')),
};
