/**
 * The producer end of one channel (Flink's ResultSubpartition + its credit-based view). Records
 * are collected into a batch that becomes one serialised buffer when it reaches the buffer size
 * (estimated from the previous buffers' bytes per record) or when the task flushes on the buffer
 * timeout. A buffer leaves only against a credit from the consumer; buffers waiting for credit form
 * the backlog, and a backlog at the configured maximum makes the subpartition unavailable, which
 * stops the producing task: that is backpressure.
 *
 * When the consumer runs in the same thread (an in-thread exchange), a batch is handed over by
 * reference instead of serialised: the records (copied at emission unless object reuse is on, see
 * record-copier.ts) and their timestamps, one credit per batch, in the same order with the events.
 * Such a batch holds a fixed number of records (the buffer size / 32: 1024 at 32 KiB), and its
 * bytes are not counted in numBytesOut (as Flink counts no bytes between chained operators).
 */
import { BatchEncoder } from './buffer-codec.js';
import type { FrameSink } from './channel.js';
import type { ChannelEvent } from './events.js';
import { copyRecord } from './record-copier.js';

export type { FrameSink } from './channel.js';

type Queued =
  | { k: 'data'; buf: Uint8Array }
  | { k: 'records'; values: unknown[]; timestamps: (number | undefined)[] | null }
  | { k: 'event'; ev: ChannelEvent };

/** How a subpartition whose consumer runs in its own thread hands records over. */
export interface InThreadExchange {
  /** Copy each record when it is emitted (object reuse off); pass it as is when false. */
  readonly copy: boolean;
}

export class ResultSubpartition {
  private readonly encoder = new BatchEncoder();
  private values: unknown[] = [];
  private timestamps: (number | undefined)[] = [];
  private hasTimestamps = false;
  /** Records per buffer, re-estimated after every buffer from its encoded size. */
  private threshold = 64;
  private readonly queue: Queued[] = [];
  private credits = 0;
  /** The consumer announced itself (first credit); before that nothing is sent, not even events. */
  private connected = false;
  bytesOut = 0;
  buffersOut = 0;
  private readonly copy: boolean;

  constructor(
    readonly channel: string,
    private readonly sink: FrameSink,
    private readonly bufferSize: number,
    private readonly maxBacklog: number,
    private readonly onAvailable: () => void,
    /** Set when the consumer is in this thread: batches go by reference. */
    private readonly inThread?: InThreadExchange,
  ) {
    this.copy = inThread?.copy === true;
    if (inThread) this.threshold = Math.max(1, Math.min(4096, Math.floor(bufferSize / 32)));
  }

  /** Batches go to the consumer by reference (it runs in this thread). */
  get byReference(): boolean {
    return this.inThread !== undefined;
  }

  add(value: unknown, timestamp: number | undefined): void {
    this.values.push(this.copy ? copyRecord(value) : value);
    this.timestamps.push(timestamp);
    if (timestamp !== undefined) this.hasTimestamps = true;
    if (this.values.length >= this.threshold) this.flush();
  }

  /** Closes the current batch into a buffer (no-op when empty). */
  flush(): void {
    const n = this.values.length;
    if (n === 0) return;
    if (this.inThread) {
      this.queue.push({ k: 'records', values: this.values, timestamps: this.hasTimestamps ? this.timestamps : null });
      this.values = [];
      this.timestamps = [];
      this.hasTimestamps = false;
      this.trySend();
      return;
    }
    const buf = this.encoder.encode(this.values, this.hasTimestamps ? this.timestamps : null);
    this.values = [];
    this.timestamps = [];
    this.hasTimestamps = false;
    const perRecord = Math.max(1, buf.byteLength / n);
    this.threshold = Math.max(1, Math.min(4096, Math.floor(this.bufferSize / perRecord)));
    this.queue.push({ k: 'data', buf });
    this.trySend();
  }

  addEvent(ev: ChannelEvent): void {
    this.flush();
    this.queue.push({ k: 'event', ev });
    this.trySend();
  }

  addCredit(n: number): void {
    this.connected = true;
    this.credits += n;
    this.trySend();
    // Wake the task: it may be waiting for room (backpressure) or for the last frames to leave.
    this.onAvailable();
  }

  /** False while the backlog is at its maximum: the task must not produce more. */
  isAvailable(): boolean {
    return this.queue.length < this.maxBacklog;
  }

  get backlog(): number {
    return this.queue.length;
  }

  get pendingRecords(): number {
    return this.values.length;
  }

  /** True when everything, including end-of-partition, has been handed to the connection. */
  get drained(): boolean {
    return this.queue.length === 0 && this.values.length === 0;
  }

  private trySend(): void {
    if (!this.connected) return;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.k === 'records') {
        if (this.credits <= 0) return;
        this.credits--;
        this.queue.shift();
        this.buffersOut++;
        this.sink.send({ k: 'records', ch: this.channel, values: head.values, timestamps: head.timestamps });
      } else if (head.k === 'data') {
        if (this.credits <= 0) return;
        this.credits--;
        this.queue.shift();
        this.bytesOut += head.buf.byteLength;
        this.buffersOut++;
        this.sink.send({ k: 'data', ch: this.channel, buf: head.buf });
      } else {
        this.queue.shift();
        this.sink.send({ k: 'event', ch: this.channel, ev: head.ev });
      }
    }
  }
}
