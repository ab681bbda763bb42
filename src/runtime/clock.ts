/**
 * Time as the JobMaster and the CheckpointCoordinator see it: the current time and one-shot
 * timers. The system clock is the real one; a ManualClock lets tests move time by hand instead of
 * sleeping, firing every timer that falls due in the order of its due time.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` once after `ms` (at least 0); the returned function cancels it (idempotent). */
  setTimer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

interface ManualTimer {
  due: number;
  seq: number;
  fn: () => void;
}

/** A clock that only moves when told to (tests). */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Set<ManualTimer>();

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const t: ManualTimer = { due: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(t);
    return () => void this.timers.delete(t);
  }

  /** How many timers are set and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing each timer that falls due at its own due time (timers set
   * by a firing timer fire too if they fall due within the step). Bounded: at most 10,000 timers.
   */
  advance(ms: number): void {
    const end = this.time + Math.max(0, ms);
    for (let i = 0; i < 10_000; i++) {
      let next: ManualTimer | undefined;
      for (const t of this.timers) if (t.due <= end && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
      if (!next) break;
      this.timers.delete(next);
      this.time = Math.max(this.time, next.due);
      next.fn();
    }
    this.time = end;
  }
}
