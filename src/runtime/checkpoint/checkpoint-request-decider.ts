/**
 * When the next checkpoint may be triggered (Flink's CheckpointRequestDecider): every `interval`
 * after the last trigger, at least `minPause` after the last completion, never more than
 * `maxConcurrent` at once. Savepoints and manual triggers queue here and go first, ignoring the
 * min pause; the final checkpoint (every source at its end of data) is urgent. After a
 * stop-with-savepoint is triggered, no periodic checkpoint follows (unless it fails).
 *
 * Pure bookkeeping: the coordinator owns the timer and sets it to the delays decided here.
 */
import type { Clock } from '../clock.js';
import type { CheckpointingOptions } from './checkpoint-options.js';

export type TriggerCheck = { ok: true } | { ok: false; retryIn?: number };

export class CheckpointRequestDecider<R extends { stop: boolean }> {
  private lastTriggerTime = 0;
  private lastCompletionTime = 0;
  /** Every source reached its end of data: the final checkpoint is taken as soon as possible. */
  private urgent = false;
  /** A stop-with-savepoint is under way: no periodic checkpoint is triggered. */
  private periodicSuspended = false;
  private readonly queue: R[] = [];

  constructor(
    private readonly options: Pick<CheckpointingOptions, 'interval' | 'minPause' | 'maxConcurrent'>,
    private readonly clock: Clock,
  ) {}

  /** A new attempt runs: the first checkpoint is due one interval from now. */
  start(): number {
    this.urgent = false;
    this.periodicSuspended = false;
    this.lastTriggerTime = this.clock.now();
    return this.options.interval;
  }

  /** Queues a savepoint; returns 0 (trigger at once) when fewer than max-concurrent are pending. */
  enqueue(r: R, pending: number): number | undefined {
    this.queue.push(r);
    return pending < this.options.maxConcurrent ? 0 : undefined;
  }

  /** Removes every queued request (the attempt or the job ended). */
  drain(): R[] {
    return this.queue.splice(0);
  }

  /** Whether a checkpoint may start now; if not, possibly when to ask again. */
  check(pending: number): TriggerCheck {
    const savepointWaiting = this.queue.length > 0;
    if (this.periodicSuspended && !savepointWaiting) return { ok: false };
    if (pending >= this.options.maxConcurrent) return { ok: false }; // re-armed when one ends
    const pauseLeft = this.lastCompletionTime + this.options.minPause - this.clock.now();
    if (pauseLeft > 0 && !savepointWaiting) return { ok: false, retryIn: pauseLeft };
    return { ok: true };
  }

  /** A checkpoint is triggered at `now`: returns the savepoint request it serves, if any. */
  take(now: number): R | undefined {
    this.lastTriggerTime = now;
    const r = this.queue.shift();
    if (r?.stop) this.periodicSuspended = true;
    return r;
  }

  /** After a trigger: the delay of the next timer, or undefined for none. */
  afterTrigger(pending: number): number | undefined {
    // The urgent (final) checkpoint is one; periodic ones go on.
    this.urgent = false;
    if (this.queue.length > 0 && pending < this.options.maxConcurrent) return 0;
    if (!this.periodicSuspended) return this.options.interval;
    return undefined;
  }

  /**
   * A checkpoint ended: the delay of the next timer if one is due already (or urgent), or if no
   * timer is set; undefined to leave things as they are.
   */
  rearm(pending: number, timerSet: boolean): number | undefined {
    if (pending >= this.options.maxConcurrent) return undefined;
    if (this.periodicSuspended && this.queue.length === 0) return undefined;
    const due = this.urgent || this.queue.length > 0 ? 0 : this.lastTriggerTime + this.options.interval - this.clock.now();
    return due <= 0 || !timerSet ? Math.max(0, due) : undefined;
  }

  onCompleted(now: number): void {
    this.lastCompletionTime = now;
  }

  /** Every live source reached its end of data: returns 0 (trigger at once) when none is pending. */
  onEndOfData(pending: number): number | undefined {
    this.urgent = true;
    return pending === 0 ? 0 : undefined;
  }

  /** A stop-with-savepoint failed: the job goes on, periodic checkpoints resume after an interval. */
  resumePeriodic(): number {
    this.periodicSuspended = false;
    return this.options.interval;
  }
}
