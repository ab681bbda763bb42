/**
 * NatsSink: publishes to JetStream subjects, one connection per subtask.
 * - NONE: publishes are not waited for at checkpoints.
 * - AT_LEAST_ONCE: every checkpoint waits until the stream acknowledged what was published.
 * - EXACTLY_ONCE: as AT_LEAST_ONCE, and every message carries a Nats-Msg-Id derived from the
 *   message-id prefix, the subtask and the record's position in the subtask's output since the job
 *   started, counted on through checkpoints (the count is in the writer's state). After a failure
 *   the job restores the last checkpoint and the records after it are replayed with the same ids,
 *   so the stream drops them as duplicates: as long as the replay comes within the stream's
 *   duplicate window and the sink's input arrives in the same order on replay (a sink chained to
 *   its upstream operator, as is the default).
 * There is no transaction: records are visible to readers as soon as they are published.
 */
import { jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { WeirError } from '../../errors.js';
import type { Sink, SinkWriter, SinkWriterContext } from '../../api/sink.js';
import { restoredWriterStates } from '../base/writer-state.js';
import {
  checkName,
  closeQuietly,
  connectNats,
  connectorError,
  intProperty,
  NatsSerializers,
  parseServers,
  type DeliveryGuarantee,
  type NatsSerializer,
} from './options.js';

export interface NatsSinkConfig<T> {
  servers: string[];
  subject: string | ((element: T) => string);
  serializer: NatsSerializer<T>;
  deliveryGuarantee: DeliveryGuarantee;
  messageIdPrefix: string | undefined;
  /** EXACTLY_ONCE: the id of an element (after the prefix); none: its position in the subtask's output. */
  messageIdSelector: ((element: T) => string) | undefined;
  maxInFlight: number;
  publishTimeoutMs: number;
}

/** Writer state in checkpoints: how many records the subtask published before the checkpoint. */
export interface NatsWriterState {
  subtask: number;
  published: number;
}

const SINK_PROPERTIES = { 'max.in.flight': 1000, 'publish.timeout.ms': 30_000 } as const;

export class NatsSink<T> implements Sink<T, never, NatsWriterState> {
  constructor(readonly config: NatsSinkConfig<T>) {}

  static builder<T>(): NatsSinkBuilder<T> {
    return new NatsSinkBuilder<T>();
  }

  async createWriter(ctx: SinkWriterContext, restored?: NatsWriterState[]): Promise<SinkWriter<T, never, NatsWriterState>> {
    const nc = await connectNats(this.config.servers, `weir-nats-sink-${ctx.subtaskIndex}`);
    const published = restoredWriterStates(ctx, restored).own?.published ?? 0;
    return new NatsWriter(this.config, nc, ctx.subtaskIndex, published);
  }

  describe(): string {
    return `NatsSink(${this.config.deliveryGuarantee})`;
  }

  outputLocation(): string {
    return `nats://${this.config.servers.join(',')}`;
  }
}

/** Builds a NatsSink; bad settings throw WEIR_CONNECTOR_CONFIG naming the setting. */
export class NatsSinkBuilder<T> {
  private servers: string | undefined;
  private subject: string | ((element: T) => string) | undefined;
  private serializer: NatsSerializer<T> | undefined;
  private guarantee: DeliveryGuarantee = 'AT_LEAST_ONCE';
  private prefix: string | undefined;
  private idSelector: ((element: T) => string) | undefined;
  private readonly props = new Map<string, string>();

  setServers(servers: string): this {
    this.servers = servers;
    return this;
  }
  /** A subject, or a function of the element giving one. */
  setSubject(subject: string | ((element: T) => string)): this {
    this.subject = typeof subject === 'function' ? subject : checkName('NatsSink', 'setSubject', subject, true);
    if (typeof subject === 'string' && /[*>]/.test(subject)) throw connectorError('NatsSink', `setSubject: '${subject}' has wildcards`);
    return this;
  }
  setSerializer(kind: 'json' | 'string' | NatsSerializer<T>): this {
    if (typeof kind === 'function') this.serializer = kind;
    else if (kind === 'json' || kind === 'string') this.serializer = NatsSerializers[kind]();
    else throw connectorError('NatsSink', `setSerializer: unknown serializer '${String(kind)}' (json, string or a function)`);
    return this;
  }
  setDeliveryGuarantee(guarantee: DeliveryGuarantee): this {
    if (!['NONE', 'AT_LEAST_ONCE', 'EXACTLY_ONCE'].includes(guarantee))
      throw connectorError(
        'NatsSink',
        `setDeliveryGuarantee: unknown delivery guarantee '${String(guarantee)}' (NONE, AT_LEAST_ONCE, EXACTLY_ONCE)`,
      );
    this.guarantee = guarantee;
    return this;
  }
  /** EXACTLY_ONCE: the prefix of the Nats-Msg-Id of every message; unique per job. */
  setMessageIdPrefix(prefix: string): this {
    if (typeof prefix !== 'string' || !prefix || /\s/.test(prefix))
      throw connectorError('NatsSink', `setMessageIdPrefix: bad prefix '${String(prefix)}'`);
    this.prefix = prefix;
    return this;
  }
  /**
   * EXACTLY_ONCE: message ids from the element (`<prefix>-<id>`) instead of its position in the
   * subtask's output; needed when the sink's input merges several upstream subtasks, whose order
   * differs on replay. The id must be the same for a record replayed and differ between records.
   */
  setMessageIdSelector(selector: (element: T) => string): this {
    if (typeof selector !== 'function') throw connectorError('NatsSink', 'setMessageIdSelector: not a function');
    this.idSelector = selector;
    return this;
  }
  /** max.in.flight (1000 unacknowledged publishes before write waits), publish.timeout.ms (30000). */
  setProperty(key: string, value: string | number): this {
    if (!(key in SINK_PROPERTIES))
      throw connectorError('NatsSink', `unknown property '${key}' (known: ${Object.keys(SINK_PROPERTIES).join(', ')})`);
    this.props.set(key, String(value));
    return this;
  }

  build(): NatsSink<T> {
    if (!this.servers) throw connectorError('NatsSink', 'setServers: servers are not set (setServers("nats://host:4222"))');
    const servers = parseServers('NatsSink', this.servers);
    if (this.subject === undefined) throw connectorError('NatsSink', 'setSubject: no subject (setSubject("name") or a function)');
    if (!this.serializer) throw connectorError('NatsSink', 'setSerializer: no serializer (setSerializer("json") or a function)');
    if (this.guarantee === 'EXACTLY_ONCE' && !this.prefix)
      throw connectorError('NatsSink', 'setMessageIdPrefix: EXACTLY_ONCE needs a message-id prefix unique to this job');
    return new NatsSink<T>({
      servers,
      subject: this.subject,
      serializer: this.serializer,
      deliveryGuarantee: this.guarantee,
      messageIdPrefix: this.prefix,
      messageIdSelector: this.idSelector,
      maxInFlight: Math.max(1, intProperty('NatsSink', 'max.in.flight', this.props.get('max.in.flight'), SINK_PROPERTIES['max.in.flight'])),
      publishTimeoutMs: Math.max(
        1000,
        intProperty('NatsSink', 'publish.timeout.ms', this.props.get('publish.timeout.ms'), SINK_PROPERTIES['publish.timeout.ms']),
      ),
    });
  }
}

function failed(e: unknown): WeirError {
  if (e instanceof WeirError) return e;
  return new WeirError('WEIR_CONNECTOR_FAILED', `NatsSink: publishing failed: ${(e as Error).message}`);
}

class NatsWriter<T> implements SinkWriter<T, never, NatsWriterState> {
  private readonly js: JetStreamClient;
  private readonly inFlight = new Set<Promise<unknown>>();
  private failure: unknown;

  constructor(
    private readonly config: NatsSinkConfig<T>,
    private readonly nc: NatsConnection,
    private readonly subtask: number,
    /** Records published by this subtask since the job started (the next message's index). */
    private published: number,
  ) {
    this.js = jetstream(nc, { timeout: config.publishTimeoutMs });
  }

  write(element: T): void | Promise<void> {
    if (this.failure) throw this.failure;
    const c = this.config;
    const subject = typeof c.subject === 'function' ? c.subject(element) : c.subject;
    const n = this.published++;
    const id = c.messageIdSelector ? c.messageIdSelector(element) : `${this.subtask}-${n}`;
    const opts = c.deliveryGuarantee === 'EXACTLY_ONCE' ? { msgID: `${c.messageIdPrefix}-${id}` } : {};
    const p: Promise<PubAck | void> = this.js.publish(subject, c.serializer(element), opts).catch((e: unknown) => {
      this.failure ??= failed(e);
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    if (this.inFlight.size >= c.maxInFlight) return Promise.race(this.inFlight).then(() => undefined);
  }

  private async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    if (this.failure) throw this.failure;
  }

  async flush(endOfInput: boolean): Promise<void> {
    if (this.config.deliveryGuarantee === 'NONE' && !endOfInput) return;
    await this.drain();
  }

  snapshotState(): NatsWriterState[] {
    return [{ subtask: this.subtask, published: this.published }];
  }

  async close(): Promise<void> {
    await Promise.race([Promise.all([...this.inFlight]), new Promise((r) => setTimeout(r, 2000).unref())]);
    await closeQuietly(this.nc);
  }
}
