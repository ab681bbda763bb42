/**
 * A TaskManager's warm pool of slot workers (taskmanager.slot.warm-pool.size): worker threads
 * started ahead of any job, already past the thread's start and the engine's import, so deploying
 * a job to a slot only imports the job's bundle. Isolation (each job's code runs in its own worker
 * threads, discarded when the job ends) is kept: a warm worker has run no job's code, is taken by
 * exactly one (job attempt, slot) and is terminated with it; the pool is refilled in the
 * background, after a job's workers were released or a little while after a take, so starting the
 * replacement does not compete with the deployment that took a worker.
 */
import type { Worker } from 'node:worker_threads';

/** How long after a take the pool starts refilling (ms): the deployment that took the worker goes first. */
export const REFILL_DELAY_MS = 1_000;

export interface WarmPoolStats {
  /** Workers the pool started. */
  started: number;
  /** Takes served by a pre-started worker. */
  hits: number;
  /** Takes that found the pool empty (the worker was started on demand). */
  misses: number;
}

export class WarmPool {
  private readonly idle: Worker[] = [];
  /** The pool's own listeners of each idle worker, removed when it is taken. */
  private readonly listeners = new Map<Worker, { exit: () => void; error: (e: Error) => void }>();
  private refillTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The last failure of an idle worker (none expected; kept for diagnosis). */
  lastError: Error | undefined;
  readonly stats: WarmPoolStats = { started: 0, hits: 0, misses: 0 };

  constructor(
    /** How many started workers the pool keeps (0: none, every worker starts on demand). */
    readonly size: number,
    /** Starts a slot worker thread (not yet bound to a job). */
    private readonly start: () => Worker,
  ) {
    this.refill();
  }

  /** Idle pre-started workers. */
  get available(): number {
    return this.idle.length;
  }

  /** A worker for one (job attempt, slot): a pre-started one when there is one, else a new one. */
  take(): Worker {
    const w = this.idle.shift();
    if (w) {
      const l = this.listeners.get(w)!;
      this.listeners.delete(w);
      w.off('exit', l.exit);
      w.off('error', l.error);
      this.stats.hits++;
      this.scheduleRefill(REFILL_DELAY_MS);
      return w;
    }
    if (this.size > 0) this.stats.misses++;
    return this.start();
  }

  /** A job's workers were released: refill now (nothing of that job is starting any more). */
  released(): void {
    this.scheduleRefill(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.refillTimer) clearTimeout(this.refillTimer);
    this.refillTimer = undefined;
    const ws = this.idle.splice(0);
    this.listeners.clear();
    await Promise.all(ws.map((w) => w.terminate()));
  }

  private scheduleRefill(delayMs: number): void {
    if (this.closed || this.idle.length >= this.size) return;
    if (this.refillTimer) {
      if (delayMs > 0) return;
      clearTimeout(this.refillTimer);
    }
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.refill();
    }, delayMs);
    this.refillTimer.unref();
  }

  private refill(): void {
    while (!this.closed && this.idle.length < this.size) {
      const w = this.start();
      this.stats.started++;
      // A warm worker that fails (its engine import threw, out of memory) leaves the pool; the next
      // refill replaces it, and the error is not thrown at the TaskManager (no job is concerned).
      const exit = (): void => {
        this.listeners.delete(w);
        const i = this.idle.indexOf(w);
        if (i >= 0) this.idle.splice(i, 1);
      };
      const error = (e: Error): void => {
        this.lastError = e;
      };
      this.listeners.set(w, { exit, error });
      w.once('exit', exit);
      w.on('error', error);
      this.idle.push(w);
    }
  }
}
