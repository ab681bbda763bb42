/**
 * The operator's work queue (client-go's rate-limited workqueue): keys (namespace/name) waiting to
 * be reconciled, each at most once at a time and at most once in the queue; a key added while it is
 * being reconciled runs again right after. A failed reconcile is tried again after a delay that
 * doubles per consecutive failure of that key (capped); a successful one may ask to run again later.
 */
export interface WorkQueueOptions {
  /** Keys reconciled at the same time (different keys). */
  concurrency: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Reconciles one key; resolves the delay until the key should run again (undefined: only when told). */
  handle: (key: string) => Promise<number | undefined>;
  onError: (key: string, error: Error, retryInMs: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Keys added while running: queued again when their run ends. */
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private closed = false;
  private idle: (() => void) | undefined;

  constructor(private readonly o: WorkQueueOptions) {}

  add(key: string): void {
    if (this.closed) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Adds the key after `ms` (an earlier pending add wins). */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Stops taking work and resolves once the reconciles in flight ended. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    if (this.running.size > 0) await new Promise<void>((r) => (this.idle = r));
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.o.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.running.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    let next: number | undefined;
    try {
      next = await this.o.handle(key);
      this.failures.delete(key);
    } catch (e) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      next = Math.min(this.o.maxBackoffMs, this.o.initialBackoffMs * 2 ** (n - 1));
      this.o.onError(key, e as Error, next);
    }
    this.running.delete(key);
    if (this.dirty.delete(key)) this.add(key);
    else if (next !== undefined) this.addAfter(key, next);
    if (this.closed && this.running.size === 0) this.idle?.();
    this.pump();
  }
}
