/**
 * The NatsSource reader of one subtask: a fetch loop per split (Flink's split fetcher) pulls
 * batches from a JetStream consumer into a bounded queue; pollNext emits from the queue on the task
 * thread. A split's position is the stream sequence after the last message emitted. Ordered
 * consumers need no acknowledgement; a durable consumer (AckPolicy.All) is acknowledged up to the
 * last message a checkpoint covers when that checkpoint completes. Fetch errors (a server away)
 * are retried from the same position until it is back.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type Consumer, type JsMsg } from '@nats-io/jetstream';
import { InvalidArgumentError, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { InputStatus, ReaderOutput, SourceReader, SourceReaderContext, SourceSplit } from '../../api/source.js';
import { SplitOutputs } from '../base/split-outputs.js';
import { AvailabilitySignal } from '../base/availability.js';
import { closeQuietly, connectNats, type NatsMessage } from './options.js';
import type { NatsSourceConfig } from './source.js';

export interface NatsStreamSplit extends SourceSplit {
  stream: string;
  /** The split's filter: one subject, or none for the whole stream. */
  filterSubjects: string[];
  /** The filter's place among the source's filters (how the split's owner is chosen). */
  index?: number;
  /** The split's durable consumer; none: an ordered consumer. */
  consumerName?: string;
  /** The stream sequence of the next message to emit. */
  sequence: number;
  /** Bounded: the split ends after this sequence; null: unbounded. */
  stopSequence: number | null;
}

const BATCH = 512;
const MAX_QUEUED = 20_000;
const RETRY_MS = 250;

interface SplitState {
  split: NatsStreamSplit;
  /** The sequence after the last fetched message (ahead of split.sequence by what is queued). */
  fetchSequence: number;
  /** The last message emitted, for the durable consumer's acknowledgement. */
  lastEmitted: JsMsg | undefined;
}

/** A fetched batch; `end`: the split has nothing more up to its stop sequence. */
interface Chunk {
  splitId: string;
  messages: JsMsg[];
  end: boolean;
}

function toMessage(stream: string, m: JsMsg): NatsMessage {
  const headers: Record<string, string> = {};
  if (m.headers) for (const [k, v] of m.headers) headers[k] = v.join(',');
  return {
    stream,
    subject: m.subject,
    sequence: m.seq,
    timestamp: Math.floor(m.info.timestampNanos / 1e6),
    data: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
    headers,
  };
}

export class NatsSourceReader<T> implements SourceReader<T, NatsStreamSplit> {
  private readonly splits = new Map<string, SplitState>();
  private readonly queue: Chunk[] = [];
  private queued = 0;
  private head = 0;
  private noMoreSplits = false;
  private closed = false;
  private failure: unknown;
  private readonly available = new AvailabilitySignal();
  private readonly wake = new AvailabilitySignal();
  private nc: Promise<NatsConnection> | undefined;
  private readonly loops: Promise<void>[] = [];
  private readonly toAck = new Map<number, JsMsg[]>();
  /** The last messages of splits that ended since the last checkpoint (acknowledged with it). */
  private endedAcks: JsMsg[] = [];
  /** Each split emits through its own output: per-split watermarks. */
  private readonly outputs = new SplitOutputs<T>();

  constructor(
    private readonly config: NatsSourceConfig<T>,
    private readonly ctx: SourceReaderContext,
  ) {}

  start(): void {}

  private connection(): Promise<NatsConnection> {
    this.nc ??= connectNats(this.config.servers, `weir-nats-source-${this.ctx.subtaskIndex}`);
    return this.nc;
  }

  /** A consumer that delivers the split's messages from `from` on. */
  private async openConsumer(st: SplitState, from: number): Promise<Consumer> {
    const nc = await this.connection();
    const c = this.config;
    const filter = st.split.filterSubjects;
    const durable = st.split.consumerName ?? c.consumerName;
    if (durable === undefined) {
      return jetstream(nc).consumers.get(st.split.stream, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: from,
        // One subject as a string: filter_subject, which servers before 2.10 know too.
        ...(filter.length === 1 ? { filter_subjects: filter[0] } : filter.length > 1 ? { filter_subjects: filter } : {}),
      });
    }
    // The durable consumer starts where Weir's checkpoint says: replaced when it exists (its position cannot be moved).
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.delete(st.split.stream, durable).catch(() => undefined);
    await jsm.consumers.add(st.split.stream, {
      durable_name: durable,
      ack_policy: AckPolicy.All,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
      ack_wait: nanos(c.ackWaitMs),
      max_ack_pending: -1,
      ...(filter.length === 1 ? { filter_subject: filter[0] } : filter.length > 1 ? { filter_subjects: filter } : {}),
    });
    return jetstream(nc).consumers.get(st.split.stream, durable);
  }

  private async fetchLoop(st: SplitState): Promise<void> {
    const c = this.config;
    const stop = st.split.stopSequence;
    let consumer: Consumer | undefined;
    while (!this.closed && this.splits.get(st.split.splitId) === st) {
      if (this.queued >= MAX_QUEUED) {
        await this.wake.wait();
        continue;
      }
      try {
        consumer ??= await this.openConsumer(st, st.fetchSequence);
        const batch: JsMsg[] = [];
        for await (const m of await consumer.fetch({ max_messages: c.fetchMaxMessages, expires: c.fetchExpiresMs })) batch.push(m);
        if (this.closed) return;
        // Redeliveries and what is past the stop are dropped; the rest comes in stream order.
        const fresh = batch.filter((m) => m.seq >= st.fetchSequence && (stop === null || m.seq <= stop));
        if (fresh.length > 0) st.fetchSequence = fresh.at(-1)!.seq + 1;
        let end = false;
        if (stop !== null) {
          const last = batch.at(-1);
          if (st.fetchSequence > stop || (last !== undefined && (last.seq >= stop || last.info.pending === 0))) end = true;
          else if (batch.length === 0) end = (await consumer.info(false)).num_pending === 0;
        }
        if (fresh.length > 0 || end) {
          this.queue.push({ splitId: st.split.splitId, messages: fresh, end });
          this.queued += fresh.length;
          this.available.notify();
        }
        if (end) return;
      } catch (e) {
        if (this.closed) return;
        // A request the server or client refuses as such fails the job; anything else is retried.
        if (e instanceof InvalidArgumentError) throw e;
        // The server is away or the consumer is gone: open a new one at the same position.
        consumer = undefined;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    if (this.failure) throw this.failure;
    const deserialize = this.config.deserializer;
    this.outputs.sync(output);
    let emitted = 0;
    while (emitted < BATCH && this.queue.length > 0) {
      const chunk = this.queue[0]!;
      const st = this.splits.get(chunk.splitId);
      if (st) {
        const split = st.split;
        const out = this.outputs.get(split.splitId, output);
        while (this.head < chunk.messages.length && emitted < BATCH) {
          const m = chunk.messages[this.head++]!;
          if (m.seq < split.sequence) continue;
          split.sequence = m.seq + 1;
          st.lastEmitted = m;
          emitted++;
          const message = toMessage(split.stream, m);
          out.collect(deserialize(message), message.timestamp);
        }
        if (this.head < chunk.messages.length) break;
        if (chunk.end) {
          this.splits.delete(split.splitId);
          this.outputs.finished(split.splitId);
          if (st.lastEmitted) this.endedAcks.push(st.lastEmitted);
        }
      }
      this.queue.shift();
      this.queued -= chunk.messages.length;
      this.head = 0;
      this.wake.notify();
    }
    if (this.queue.length > 0 || emitted > 0) return 'MORE_AVAILABLE';
    if (this.noMoreSplits && this.splits.size === 0) return 'END_OF_INPUT';
    return 'NOTHING_AVAILABLE';
  }

  isAvailable(): Promise<void> {
    if (this.failure || this.queue.length > 0 || (this.noMoreSplits && this.splits.size === 0)) return Promise.resolve();
    return this.available.wait();
  }

  addSplits(splits: NatsStreamSplit[]): void {
    for (const s of splits) {
      const split = { ...s, filterSubjects: [...s.filterSubjects] };
      if (split.stopSequence !== null && split.sequence > split.stopSequence) continue;
      const st: SplitState = { split, fetchSequence: split.sequence, lastEmitted: undefined };
      this.splits.set(split.splitId, st);
      this.outputs.added(split.splitId);
      this.loops.push(
        this.fetchLoop(st).catch((e: unknown) => {
          this.failure ??= e;
          this.available.notify();
        }),
      );
    }
    this.available.notify();
  }

  notifyNoMoreSplits(): void {
    this.noMoreSplits = true;
    this.available.notify();
  }

  snapshotState(checkpointId: number): NatsStreamSplit[] {
    if (this.config.consumerName !== undefined) {
      const acks = [...this.splits.values()].flatMap((s) => (s.lastEmitted ? [s.lastEmitted] : []));
      this.toAck.set(checkpointId, [...this.endedAcks, ...acks]);
      this.endedAcks = [];
    }
    return [...this.splits.values()].map((s) => ({ ...s.split, filterSubjects: [...s.split.filterSubjects] }));
  }

  /** Acknowledges the durable consumer up to what the completed checkpoint covers (AckPolicy.All). */
  notifyCheckpointComplete(checkpointId: number): void {
    const acks = this.toAck.get(checkpointId);
    for (const id of [...this.toAck.keys()]) if (id <= checkpointId) this.toAck.delete(id);
    if (this.closed || !acks) return;
    for (const m of acks) m.ack();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake.notify();
    const nc = await this.nc?.catch(() => undefined);
    await closeQuietly(nc);
    await Promise.race([Promise.all(this.loops), new Promise((r) => setTimeout(r, 3000).unref())]);
  }
}
