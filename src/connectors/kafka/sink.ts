/**
 * KafkaSink (Flink's KafkaSink): one producer per subtask.
 * - NONE: records are sent and not waited for at checkpoints.
 * - AT_LEAST_ONCE: every checkpoint waits until what was sent is acknowledged (flush).
 * - EXACTLY_ONCE: one Kafka transaction per checkpoint per subtask. At a barrier the writer flushes
 *   its transaction and hands it over (transactional id, producer id, epoch) as a committable;
 *   the next records go to a new transaction under a new transactional id
 *   `<prefix>-<subtask>-<n>`. The committer commits it with EndTxn when the checkpoint completes
 *   (or on restore from that checkpoint: committing twice is harmless). On restore the writer
 *   aborts what the failed attempt left open: InitProducerId on its transactional ids from the
 *   checkpoint's next `n` upwards, until one that was never used.
 */
import { Producer } from '@platformatic/kafka';
import { WeirError } from '../../errors.js';
import type { Committer, Sink, SinkWriter, SinkWriterContext } from '../../api/sink.js';
import { connectorError, parseBootstrap, SINK_PROPERTIES, toBuffer, type DeliveryGuarantee, type KafkaSerializer } from './options.js';
import { kafkaErrorName, TransactionCoordinatorClient, type KafkaCommittable } from './transactions.js';
import { KafkaRecordSerializationSchema } from './serialization.js';
import { closeQuietly } from './kafka-client.js';
import { restoredWriterStates } from '../base/writer-state.js';

export { KafkaRecordSerializationSchema };

export interface KafkaSinkConfig<T> {
  bootstrapServers: string;
  serializer: KafkaSerializer<T>;
  deliveryGuarantee: DeliveryGuarantee;
  transactionalIdPrefix: string | undefined;
  transactionTimeoutMs: number;
  clientId: string;
  batchSize: number;
  lingerMs: number;
}

/** Writer state in checkpoints: the transactional-id counter the next transaction after the checkpoint uses. */
export interface KafkaWriterState {
  subtask: number;
  nextSeq: number;
}

export class KafkaSink<T> implements Sink<T, KafkaCommittable, KafkaWriterState> {
  constructor(readonly config: KafkaSinkConfig<T>) {}

  static builder<T>(): KafkaSinkBuilder<T> {
    return new KafkaSinkBuilder<T>();
  }

  async createWriter(ctx: SinkWriterContext, restored?: KafkaWriterState[]): Promise<SinkWriter<T, KafkaCommittable, KafkaWriterState>> {
    const c = this.config;
    if (c.deliveryGuarantee === 'EXACTLY_ONCE' && ctx.checkpointing) {
      const w = new TransactionalWriter(c, ctx.subtaskIndex);
      // After a rescale a subtask also holds the states of subtasks that are gone: it aborts their open transactions too.
      const { own, vanished } = restoredWriterStates(ctx, restored);
      await w.init(own?.nextSeq ?? 0, vanished);
      return w;
    }
    return new PlainWriter(c, ctx.subtaskIndex);
  }

  /** Only EXACTLY_ONCE writers prepare committables; for the others the committer has nothing to do. */
  createCommitter(): Committer<KafkaCommittable> {
    return new KafkaCommitter(this.config);
  }

  describe(): string {
    return `KafkaSink(${this.config.deliveryGuarantee})`;
  }

  outputLocation(): string {
    return `kafka://${this.config.bootstrapServers}`;
  }

  validate(): void {
    parseBootstrap(this.config.bootstrapServers);
  }
}

export class KafkaSinkBuilder<T> {
  private bootstrapServers: string | undefined;
  private serializer: KafkaSerializer<T> | undefined;
  private guarantee: DeliveryGuarantee = 'NONE';
  private prefix: string | undefined;
  private readonly props = new Map<string, string>();

  setBootstrapServers(servers: string): this {
    this.bootstrapServers = servers;
    return this;
  }
  setRecordSerializer(serializer: KafkaSerializer<T>): this {
    if (typeof serializer !== 'function')
      throw connectorError('KafkaSink', 'the record serializer must be built with KafkaRecordSerializationSchema.builder()...build()');
    this.serializer = serializer;
    return this;
  }
  setDeliveryGuarantee(guarantee: DeliveryGuarantee): this {
    if (!['NONE', 'AT_LEAST_ONCE', 'EXACTLY_ONCE'].includes(guarantee))
      throw connectorError('KafkaSink', `unknown delivery guarantee '${String(guarantee)}' (NONE, AT_LEAST_ONCE, EXACTLY_ONCE)`);
    this.guarantee = guarantee;
    return this;
  }
  setTransactionalIdPrefix(prefix: string): this {
    if (!prefix || /\s/.test(prefix)) throw connectorError('KafkaSink', `bad transactional id prefix '${prefix}'`);
    this.prefix = prefix;
    return this;
  }
  /** transaction.timeout.ms (also the request timeout), client.id, batch.size, linger.ms. */
  setProperty(key: string, value: string | number): this {
    if (!(key in SINK_PROPERTIES))
      throw connectorError('KafkaSink', `unknown property '${key}' (known: ${Object.keys(SINK_PROPERTIES).join(', ')})`);
    this.props.set(key, String(value));
    return this;
  }

  private num(key: 'transaction.timeout.ms' | 'batch.size' | 'linger.ms'): number {
    const raw = this.props.get(key);
    if (raw === undefined) return SINK_PROPERTIES[key];
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw connectorError('KafkaSink', `property ${key} must be a non-negative integer, got '${raw}'`);
    return n;
  }

  build(): KafkaSink<T> {
    if (!this.bootstrapServers) throw connectorError('KafkaSink', 'bootstrap servers are not set (setBootstrapServers("host:9092"))');
    parseBootstrap(this.bootstrapServers);
    if (!this.serializer)
      throw connectorError('KafkaSink', 'no record serializer (setRecordSerializer(KafkaRecordSerializationSchema.builder()...build()))');
    if (this.guarantee === 'EXACTLY_ONCE' && !this.prefix)
      throw connectorError('KafkaSink', 'EXACTLY_ONCE needs a transactional id prefix unique to this job (setTransactionalIdPrefix)');
    return new KafkaSink<T>({
      bootstrapServers: this.bootstrapServers,
      serializer: this.serializer,
      deliveryGuarantee: this.guarantee,
      transactionalIdPrefix: this.prefix,
      transactionTimeoutMs: Math.max(1000, this.num('transaction.timeout.ms')),
      clientId: this.props.get('client.id') ?? SINK_PROPERTIES['client.id'],
      batchSize: Math.max(1, this.num('batch.size')),
      lingerMs: this.num('linger.ms'),
    });
  }
}

type Message = { topic: string; key?: Buffer; value?: Buffer; partition?: number; headers?: Record<string, Buffer>; timestamp?: bigint };

function toMessage(r: ReturnType<KafkaSerializer<unknown>>): Message {
  const m: Message = { topic: r.topic };
  const key = toBuffer(r.key);
  if (key) m.key = key;
  const value = toBuffer(r.value);
  if (value) m.value = value;
  if (r.partition !== undefined) m.partition = r.partition;
  if (r.headers) {
    const h: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(r.headers)) h[k] = toBuffer(v)!;
    m.headers = h;
  }
  if (r.timestamp !== undefined) m.timestamp = BigInt(Math.floor(r.timestamp));
  return m;
}

function newProducer(c: KafkaSinkConfig<unknown>, clientId: string, transactionalId?: string): Producer {
  return new Producer({
    clientId,
    bootstrapBrokers: parseBootstrap(c.bootstrapServers).map((b) => `${b.host}:${b.port}`),
    idempotent: c.deliveryGuarantee !== 'NONE',
    acks: c.deliveryGuarantee === 'NONE' ? 1 : -1,
    // "No known producer" (-1/-1): InitProducerId on an id used before must not be taken for a stale epoch.
    ...(transactionalId ? { transactionalId, producerId: -1n, producerEpoch: -1 } : {}),
    // Also the transaction timeout the producer asks for (InitProducerId).
    timeout: c.transactionTimeoutMs,
    retries: 10,
    retryDelay: 250,
    autocreateTopics: true,
  });
}

function failed(what: string, e: unknown): WeirError {
  if (e instanceof WeirError) return e;
  const name = kafkaErrorName(e);
  return new WeirError('WEIR_CONNECTOR_FAILED', `KafkaSink: ${what} failed${name ? ` (${name})` : ''}: ${(e as Error).message}`);
}

/** Batches queued behind the one being sent before write() waits (backpressure). */
const MAX_QUEUED_BATCHES = 2;

/**
 * Batches records and sends them through `send`, one batch at a time in order: the idempotent
 * producer numbers each partition's batches, and two sends in flight can reach the broker out of order.
 */
abstract class BatchingWriter<T> {
  protected batch: Message[] = [];
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private failure: unknown;
  private linger: NodeJS.Timeout | undefined;

  constructor(protected readonly config: KafkaSinkConfig<T>) {}

  /** Where the batch queued now goes (taken when it is queued: a transaction may be handed over before it is sent). */
  protected abstract sender(): (messages: Message[]) => Promise<void>;

  write(element: T, timestamp: number | undefined): void | Promise<void> {
    if (this.failure) throw this.failure;
    this.batch.push(toMessage(this.config.serializer(element, timestamp)));
    if (this.batch.length >= this.config.batchSize) return this.sendBatch();
    // linger.ms 0 still batches what the task writes in one go: the batch leaves on the next turn of the event loop.
    if (!this.linger) {
      this.linger = setTimeout(() => {
        this.linger = undefined;
        this.sendBatch();
      }, this.config.lingerMs);
    }
  }

  /** Queues the open batch for sending; resolves when the queue has room again. */
  protected sendBatch(): Promise<void> | undefined {
    if (this.linger) clearTimeout(this.linger);
    this.linger = undefined;
    if (this.batch.length === 0) return undefined;
    const messages = this.batch;
    this.batch = [];
    const send = this.sender();
    this.queued++;
    this.chain = this.chain.then(async () => {
      try {
        if (!this.failure) await send(messages);
      } catch (e) {
        this.failure ??= failed('sending records', e);
      } finally {
        this.queued--;
      }
    });
    if (this.queued > MAX_QUEUED_BATCHES) return this.chain;
    return undefined;
  }

  /** Everything sent so far is acknowledged (or the first failure is thrown). */
  protected async drain(): Promise<void> {
    this.sendBatch();
    await this.chain;
    if (this.failure) throw this.failure;
  }

  protected stopLinger(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = undefined;
  }
}

/** NONE and AT_LEAST_ONCE (and EXACTLY_ONCE without checkpointing, which then is at-least-once). */
class PlainWriter<T> extends BatchingWriter<T> implements SinkWriter<T, KafkaCommittable, KafkaWriterState> {
  private readonly producer: Producer;

  constructor(config: KafkaSinkConfig<T>, subtask: number) {
    super(config);
    this.producer = newProducer(config as KafkaSinkConfig<unknown>, `${config.clientId}-${subtask}`);
  }

  protected sender(): (messages: Message[]) => Promise<void> {
    return async (messages) => void (await this.producer.send({ messages }));
  }

  async flush(endOfInput: boolean): Promise<void> {
    if (this.config.deliveryGuarantee === 'NONE' && !endOfInput) {
      this.sendBatch();
      return;
    }
    await this.drain();
  }

  async close(): Promise<void> {
    this.stopLinger();
    await closeQuietly(this.producer!);
  }
}

interface OpenTransaction {
  seq: number;
  transactionalId: string;
  producer: Producer;
  /** Resolves to the producer's transaction once InitProducerId and the transaction start are done. */
  ready: Promise<{ send(o: { messages: Message[] }): Promise<unknown> }>;
  wrote: boolean;
}

class TransactionalWriter<T> extends BatchingWriter<T> implements SinkWriter<T, KafkaCommittable, KafkaWriterState> {
  private current!: OpenTransaction;
  private readonly coordinator: TransactionCoordinatorClient;

  constructor(
    config: KafkaSinkConfig<T>,
    private readonly subtask: number,
  ) {
    super(config);
    this.coordinator = new TransactionCoordinatorClient(
      config.bootstrapServers,
      `${config.clientId}-${subtask}-recovery`,
      config.transactionTimeoutMs,
    );
  }

  private id(seq: number, subtask = this.subtask): string {
    return `${this.config.transactionalIdPrefix}-${subtask}-${seq}`;
  }

  /**
   * Aborts what a failed attempt left open under this subtask's ids from `firstSeq` on (and under the
   * ids of `vanished` subtasks, from their own next sequence), then opens the first transaction.
   */
  async init(firstSeq: number, vanished: readonly KafkaWriterState[] = []): Promise<void> {
    try {
      for (const { subtask, nextSeq } of [{ subtask: this.subtask, nextSeq: firstSeq }, ...vanished]) {
        for (let seq = nextSeq; seq < nextSeq + 100_000; seq++) {
          const { epoch } = await this.coordinator.initProducerId(this.id(seq, subtask), this.config.transactionTimeoutMs);
          if (epoch === 0) break;
        }
      }
    } catch (e) {
      throw failed('aborting the transactions of the failed attempt', e);
    } finally {
      await this.coordinator.close();
    }
    this.current = this.open(firstSeq);
    await this.current.ready.catch((e: unknown) => {
      throw failed('starting a transaction', e);
    });
  }

  private open(seq: number): OpenTransaction {
    const transactionalId = this.id(seq);
    const producer = newProducer(this.config as KafkaSinkConfig<unknown>, `${this.config.clientId}-${this.subtask}`, transactionalId);
    const ready = producer.beginTransaction() as Promise<{ send(o: { messages: Message[] }): Promise<unknown> }>;
    ready.catch(() => undefined);
    return { seq, transactionalId, producer, ready, wrote: false };
  }

  protected sender(): (messages: Message[]) => Promise<void> {
    const t = this.current;
    t.wrote = true;
    return async (messages) => void (await (await t.ready).send({ messages }));
  }

  async flush(): Promise<void> {
    await this.drain();
  }

  snapshotState(): KafkaWriterState[] {
    // Called before prepareCommit: a transaction with records is handed over and the next one takes the next id.
    const t = this.current;
    const wrote = t.wrote || this.batch.length > 0;
    return [{ subtask: this.subtask, nextSeq: wrote ? t.seq + 1 : t.seq }];
  }

  prepareCommit(): KafkaCommittable[] | Promise<KafkaCommittable[]> {
    this.sendBatch();
    const t = this.current;
    if (!t.wrote) return [];
    this.current = this.open(t.seq + 1);
    return (async () => {
      await this.drain();
      const committable: KafkaCommittable = {
        transactionalId: t.transactionalId,
        producerId: String(t.producer.producerId),
        epoch: t.producer.producerEpoch!,
      };
      // Closing the client neither commits nor aborts: the transaction stays open for the committer.
      await closeQuietly(t.producer!);
      return [committable];
    })();
  }

  async close(): Promise<void> {
    this.stopLinger();
    // The open transaction is not part of any checkpoint: the next attempt aborts it (InitProducerId).
    if (this.current) await closeQuietly(this.current.producer);
  }
}

class KafkaCommitter<T> implements Committer<KafkaCommittable> {
  private readonly client: TransactionCoordinatorClient;

  constructor(config: KafkaSinkConfig<T>) {
    this.client = new TransactionCoordinatorClient(config.bootstrapServers, `${config.clientId}-committer`, config.transactionTimeoutMs);
  }

  async commit(committables: KafkaCommittable[]): Promise<void> {
    for (const c of committables) {
      try {
        await this.client.endTransaction(c, true);
      } catch (e) {
        throw failed(`committing transaction ${c.transactionalId}`, e);
      }
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
