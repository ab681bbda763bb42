/**
 * AsyncDataStream's operator (Flink's AsyncWaitOperator). Each record starts a request; up to
 * `capacity` records and watermarks wait in a queue until their results are emitted: in input order
 * (ordered) or as they complete but never across a watermark (unordered, Flink's segments). A full
 * queue makes the task wait while still running its mailbox: completions arrive as mails, so the
 * results, timeouts and retries all run on the task's thread. A checkpoint keeps the records whose
 * results were not emitted yet; a restore starts their requests again.
 */
import type { ResultFuture } from '../../api/async.js';
import { AsyncTimeoutError } from '../../api/async.js';
import type { OperatorSpec } from '../../api/transformation.js';
import { attribute } from './chaining.js';
import type { MailboxExecutor } from './mailbox-executor.js';
import type { OperatorContext, OperatorStateSnapshot, RestoredOperatorState, StreamOperator } from './operator.js';
import { closeFunction, openFunction } from './user-function.js';

/** Operator-state name of the records in flight (a split list, redistributed on rescaling). */
export const IN_FLIGHT_STATE = 'async-in-flight';

type InFlightRecord = [value: unknown, timestamp: number | null];

interface Entry {
  readonly value: unknown;
  readonly timestamp: number | undefined;
  /** Attempts started so far; a completion of an older attempt is ignored. */
  attempts: number;
  done: boolean;
  results: unknown[] | undefined;
  error: unknown;
  segment: Segment | undefined;
  cancelTimeout: (() => void) | undefined;
  cancelRetry: (() => void) | undefined;
}

/** Unordered mode: records between two watermarks; completed ones are emitted in completion order. */
interface Segment {
  pending: number;
  ready: Entry[];
  /** Every record of the segment not emitted yet, in input order (what a checkpoint keeps). */
  entries: Set<Entry>;
}

type Item = { kind: 'record'; entry: Entry } | { kind: 'watermark'; watermark: number } | { kind: 'segment'; segment: Segment };

type Invoke = (value: unknown, rf: ResultFuture<unknown>) => unknown;

export class AsyncWaitOperator implements StreamOperator {
  private readonly invoke: Invoke;
  private readonly onTimeoutFn: ((value: unknown, rf: ResultFuture<unknown>) => void) | undefined;
  private readonly ordered: boolean;
  private readonly capacity: number;
  /** Ordered: records and watermarks. Unordered: segments and watermarks. */
  private readonly queue: Item[] = [];
  /** Records and watermarks not yet emitted (what counts against the capacity). */
  private size = 0;
  private restored: InFlightRecord[] = [];
  /** The task's wait for room in the queue, while there is one. */
  private capacityWait: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly spec: Extract<OperatorSpec, { type: 'asyncWait' }>,
    private readonly mailbox: MailboxExecutor,
    private readonly block: (pending: Promise<unknown>) => void,
  ) {
    const fn = spec.fn;
    this.ordered = spec.ordered;
    this.capacity = spec.capacity;
    if (typeof fn === 'function') {
      // A plain async function: its resolved value is the one result of the record.
      const f = fn as (v: unknown) => unknown;
      this.invoke = (v, rf) =>
        Promise.resolve(f(v)).then(
          (r) => rf.complete([r]),
          (e: unknown) => rf.completeExceptionally(e),
        );
      this.onTimeoutFn = undefined;
    } else {
      const o = fn as { asyncInvoke: Invoke; timeout?: (v: unknown, rf: ResultFuture<unknown>) => void };
      this.invoke = o.asyncInvoke.bind(o);
      this.onTimeoutFn = typeof o.timeout === 'function' ? o.timeout.bind(o) : undefined;
    }
  }

  initializeState(restored: RestoredOperatorState | undefined): void {
    this.restored = (restored?.get(IN_FLIGHT_STATE) ?? []) as InFlightRecord[];
  }

  async open(): Promise<void> {
    await openFunction(this.spec.fn, this.ctx.runtimeContext);
    // Requests that were in flight at the restored checkpoint start again, in their order.
    const restored = this.restored;
    this.restored = [];
    for (const [value, ts] of restored) {
      if (this.size >= this.capacity) await this.mailbox.yieldUntil(() => this.size < this.capacity);
      this.add(value, ts ?? undefined);
    }
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    this.add(value, timestamp);
    this.waitForCapacity();
  }

  processWatermark(watermark: number): void {
    this.size++;
    this.queue.push({ kind: 'watermark', watermark });
    // No wait here: the task waits for an operator only after a record; the next record waits for room.
    this.drain();
  }

  endInput(): void {}

  /** End of input: every request completes and is emitted before the operator finishes. */
  async finish(): Promise<void> {
    await this.mailbox.yieldUntil(() => this.size === 0);
  }

  snapshotState(): OperatorStateSnapshot {
    const items: InFlightRecord[] = [];
    for (const e of this.allEntries()) items.push([e.value, e.timestamp ?? null]);
    return { [IN_FLIGHT_STATE]: { mode: 'split', items } };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.allEntries()) {
      e.cancelTimeout?.();
      e.cancelRetry?.();
    }
    await closeFunction(this.spec.fn);
  }

  // ---------------------------------------------------------------- requests

  private add(value: unknown, timestamp: number | undefined): void {
    const entry: Entry = {
      value,
      timestamp,
      attempts: 0,
      done: false,
      results: undefined,
      error: undefined,
      segment: undefined,
      cancelTimeout: undefined,
      cancelRetry: undefined,
    };
    this.size++;
    if (this.ordered) this.queue.push({ kind: 'record', entry });
    else {
      const last = this.queue[this.queue.length - 1];
      let seg: Segment;
      if (last?.kind === 'segment') seg = last.segment;
      else {
        seg = { pending: 0, ready: [], entries: new Set() };
        this.queue.push({ kind: 'segment', segment: seg });
      }
      seg.pending++;
      seg.entries.add(entry);
      entry.segment = seg;
    }
    const timeout = this.spec.timeout;
    if (timeout > 0) {
      const pts = this.ctx.processingTimeService;
      entry.cancelTimeout = pts.registerTimer(pts.getCurrentProcessingTime() + timeout, () => this.run(() => this.timedOut(entry)));
    }
    this.attempt(entry);
  }

  private attempt(entry: Entry): void {
    entry.cancelRetry = undefined;
    const n = ++entry.attempts;
    let answered = false;
    const rf: ResultFuture<unknown> = {
      complete: (results) => {
        if (answered) return;
        answered = true;
        const list = [...results];
        this.mailbox.execute(() => this.run(() => this.attemptDone(entry, n, list, undefined)));
      },
      completeExceptionally: (error) => {
        if (answered) return;
        answered = true;
        this.mailbox.execute(() => this.run(() => this.attemptDone(entry, n, undefined, error ?? new Error('completed exceptionally'))));
      },
    };
    const r = this.invoke(entry.value, rf);
    if (r !== undefined && r !== null && typeof (r as Promise<unknown>).then === 'function') {
      (r as Promise<unknown>).then(undefined, (e: unknown) => rf.completeExceptionally(e));
    }
  }

  private attemptDone(entry: Entry, attempt: number, results: unknown[] | undefined, error: unknown): void {
    if (entry.done || attempt !== entry.attempts || this.closed) return;
    const retry = this.spec.retry;
    if (retry !== undefined && retry.canRetry(attempt)) {
      const p = retry.getRetryPredicate();
      const again =
        results !== undefined
          ? p.resultPredicate !== undefined && p.resultPredicate(results)
          : p.exceptionPredicate !== undefined && p.exceptionPredicate(error);
      if (again) {
        const pts = this.ctx.processingTimeService;
        const delay = Math.max(0, retry.getBackoffTimeMillis(attempt));
        entry.cancelRetry = pts.registerTimer(pts.getCurrentProcessingTime() + delay, () => this.run(() => this.attempt(entry)));
        return;
      }
    }
    this.complete(entry, results, error);
  }

  /** The timeout covers every attempt: the function's timeout() decides (by default the job fails). */
  private timedOut(entry: Entry): void {
    entry.cancelTimeout = undefined;
    if (entry.done || this.closed) return;
    entry.cancelRetry?.();
    entry.cancelRetry = undefined;
    entry.attempts++; // late answers of the running attempt are ignored
    let answered = false;
    const rf: ResultFuture<unknown> = {
      complete: (results) => {
        if (answered) return;
        answered = true;
        this.complete(entry, [...results], undefined);
      },
      completeExceptionally: (error) => {
        if (answered) return;
        answered = true;
        this.complete(entry, undefined, error);
      },
    };
    if (this.onTimeoutFn) this.onTimeoutFn(entry.value, rf);
    else rf.completeExceptionally(new AsyncTimeoutError('Async function call has timed out.'));
  }

  private complete(entry: Entry, results: unknown[] | undefined, error: unknown): void {
    if (entry.done) return;
    entry.done = true;
    entry.results = results;
    entry.error = error;
    entry.cancelTimeout?.();
    entry.cancelTimeout = undefined;
    if (entry.segment) {
      entry.segment.pending--;
      entry.segment.ready.push(entry);
    }
    this.drain();
  }

  // ---------------------------------------------------------------- emitting

  /** Emits what may go: the completed head (ordered), the first segment's completed records (unordered), watermarks at the head. */
  private drain(): void {
    const q = this.queue;
    while (q.length > 0) {
      const head = q[0]!;
      if (head.kind === 'watermark') {
        q.shift();
        this.size--;
        this.ctx.output.emitWatermark(head.watermark);
      } else if (head.kind === 'record') {
        if (!head.entry.done) return;
        q.shift();
        this.emit(head.entry);
      } else {
        const seg = head.segment;
        while (seg.ready.length > 0) {
          const e = seg.ready.shift()!;
          seg.entries.delete(e);
          this.emit(e);
        }
        if (seg.pending > 0) return;
        q.shift();
      }
    }
  }

  private emit(entry: Entry): void {
    this.size--;
    if (entry.error !== undefined) throw entry.error;
    const out = this.ctx.output;
    for (const r of entry.results!) out.collect(r, entry.timestamp);
  }

  /** A full queue: the task takes no further record until a result was emitted (its mailbox keeps running). */
  private waitForCapacity(): void {
    if (this.size < this.capacity || this.capacityWait !== undefined) return;
    // One wait, however many records arrive while the queue is full (a source emits several per
    // poll): a wait per record would each wake on every completion and spin through the mailbox.
    const w = this.mailbox.yieldUntil(() => this.size < this.capacity);
    this.capacityWait = w;
    const clear = (): void => {
      if (this.capacityWait === w) this.capacityWait = undefined;
    };
    w.then(clear, clear);
    this.block(w);
  }

  /** Runs a mail of this operator; its failures name this operator. */
  private run(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      throw attribute(e, this.ctx.operatorName);
    }
  }

  /** The records not emitted yet, in input order. */
  private *allEntries(): Iterable<Entry> {
    for (const it of this.queue) {
      if (it.kind === 'record') yield it.entry;
      else if (it.kind === 'segment') yield* it.segment.entries;
    }
  }
}
