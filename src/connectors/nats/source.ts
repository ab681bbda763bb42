/**
 * NatsSource: reads a JetStream stream. The stream (with its subject filter) is one split, owned by
 * one reader; the enumerator, in the JobManager's source coordinator, resolves where it starts (and,
 * bounded, the stream's last sequence at start, where it stops). Readers read through an ordered
 * consumer, or through a durable consumer that is acknowledged when a checkpoint completes; the
 * stream sequence of the next message to emit lives in checkpoints, so a restore resumes exactly there.
 */
import { jetstreamManager, JetStreamApiError } from '@nats-io/jetstream';
import type { Boundedness, Source, SourceReader, SourceReaderContext, SplitEnumerator, SplitEnumeratorContext } from '../../api/source.js';
import {
  checkName,
  closeQuietly,
  connectNats,
  connectorError,
  intProperty,
  NatsDeserializers,
  NatsStartPosition,
  parseServers,
  type NatsDeserializer,
  type NatsMessage,
  type StartPosition,
} from './options.js';
import { NatsSourceReader, type NatsStreamSplit } from './source-reader.js';

export type { NatsStreamSplit } from './source-reader.js';

export interface NatsSourceConfig<T> {
  servers: string[];
  stream: string;
  filterSubjects: string[];
  /** Durable consumer name; none: an ordered consumer. */
  consumerName: string | undefined;
  starting: StartPosition;
  bounded: boolean;
  deserializer: NatsDeserializer<T>;
  fetchMaxMessages: number;
  fetchExpiresMs: number;
  ackWaitMs: number;
}

export interface NatsEnumState {
  assigned: boolean;
}

const SOURCE_PROPERTIES = { 'fetch.max.messages': 500, 'fetch.expires.ms': 1000, 'ack.wait.ms': 300_000 } as const;

export class NatsSource<T> implements Source<T, NatsStreamSplit, NatsEnumState> {
  readonly boundedness: Boundedness;

  constructor(readonly config: NatsSourceConfig<T>) {
    this.boundedness = config.bounded ? 'BOUNDED' : 'CONTINUOUS_UNBOUNDED';
  }

  static builder<T = string>(): NatsSourceBuilder<T> {
    return new NatsSourceBuilder<T>();
  }

  createEnumerator(
    ctx: SplitEnumeratorContext<NatsStreamSplit>,
    restored?: NatsEnumState,
  ): SplitEnumerator<NatsStreamSplit, NatsEnumState> {
    return new NatsSourceEnumerator(this.config, ctx, restored);
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, NatsStreamSplit> {
    return new NatsSourceReader(this.config, ctx);
  }

  describe(): string {
    return `NatsSource(${this.config.stream}${this.config.bounded ? ', bounded' : ''})`;
  }
}

/** Builds a NatsSource; bad settings throw WEIR_CONNECTOR_CONFIG naming the setting. */
export class NatsSourceBuilder<T> {
  private servers: string | undefined;
  private stream: string | undefined;
  private filterSubjects: string[] = [];
  private consumerName: string | undefined;
  private starting: StartPosition = NatsStartPosition.earliest();
  private bounded = false;
  private deserializer: NatsDeserializer<unknown> | undefined;
  private readonly props = new Map<string, string>();

  setServers(servers: string): this {
    this.servers = servers;
    return this;
  }
  setStream(stream: string): this {
    this.stream = checkName('NatsSource', 'setStream', stream, false);
    return this;
  }
  /** Only messages on these subjects (wildcards allowed). */
  setFilterSubjects(...subjects: (string | string[])[]): this {
    this.filterSubjects = subjects.flat().map((s) => checkName('NatsSource', 'setFilterSubjects', s, true));
    return this;
  }
  /** Reads through this durable consumer (created or replaced at the split's position), acknowledged on checkpoint completion. */
  setConsumerName(name: string): this {
    this.consumerName = checkName('NatsSource', 'setConsumerName', name, false);
    return this;
  }
  setStartingPosition(position: StartPosition): this {
    this.starting = position;
    return this;
  }
  /** The source ends at the stream's last sequence when the job starts. */
  setBounded(): this {
    this.bounded = true;
    return this;
  }
  setDeserializer<R>(kind: 'string' | 'json' | 'bytes' | ((message: NatsMessage) => R)): NatsSourceBuilder<R> {
    if (typeof kind === 'function') this.deserializer = kind as NatsDeserializer<unknown>;
    else if (kind === 'string' || kind === 'json' || kind === 'bytes') this.deserializer = NatsDeserializers[kind]();
    else throw connectorError('NatsSource', `setDeserializer: unknown deserializer '${String(kind)}' (string, json, bytes or a function)`);
    return this as unknown as NatsSourceBuilder<R>;
  }
  /** fetch.max.messages (500), fetch.expires.ms (1000), ack.wait.ms (300000; durable consumers: keep it above the checkpoint interval). */
  setProperty(key: string, value: string | number): this {
    if (!(key in SOURCE_PROPERTIES))
      throw connectorError('NatsSource', `unknown property '${key}' (known: ${Object.keys(SOURCE_PROPERTIES).join(', ')})`);
    this.props.set(key, String(value));
    return this;
  }

  private num(key: keyof typeof SOURCE_PROPERTIES): number {
    return intProperty('NatsSource', key, this.props.get(key), SOURCE_PROPERTIES[key]);
  }

  build(): NatsSource<T> {
    if (!this.servers) throw connectorError('NatsSource', 'setServers: servers are not set (setServers("nats://host:4222"))');
    const servers = parseServers('NatsSource', this.servers);
    if (!this.stream) throw connectorError('NatsSource', 'setStream: no stream (setStream("name"))');
    if (!this.deserializer) throw connectorError('NatsSource', 'setDeserializer: no deserializer (setDeserializer("json") or a function)');
    if (this.starting.kind === 'durable' && !this.consumerName)
      throw connectorError('NatsSource', 'setStartingPosition: the durable position needs a durable consumer (setConsumerName)');
    const fetchMaxMessages = this.num('fetch.max.messages');
    if (fetchMaxMessages < 1) throw connectorError('NatsSource', 'property fetch.max.messages must be at least 1');
    return new NatsSource<T>({
      servers,
      stream: this.stream,
      filterSubjects: this.filterSubjects,
      consumerName: this.consumerName,
      starting: this.starting,
      bounded: this.bounded,
      deserializer: this.deserializer as NatsDeserializer<T>,
      fetchMaxMessages,
      fetchExpiresMs: Math.max(100, this.num('fetch.expires.ms')),
      ackWaitMs: Math.max(1000, this.num('ack.wait.ms')),
    });
  }
}

/** Java's String.hashCode, so the stream's owner is stable across runs. */
function owner(stream: string, parallelism: number): number {
  let h = 0;
  for (let i = 0; i < stream.length; i++) h = (Math.imul(31, h) + stream.charCodeAt(i)) | 0;
  return (h & 0x7fffffff) % parallelism;
}

class NatsSourceEnumerator<T> implements SplitEnumerator<NatsStreamSplit, NatsEnumState> {
  private assigned: boolean;
  private pending: NatsStreamSplit | undefined;
  private started = false;

  constructor(
    private readonly config: NatsSourceConfig<T>,
    private readonly ctx: SplitEnumeratorContext<NatsStreamSplit>,
    restored: NatsEnumState | undefined,
  ) {
    this.assigned = restored?.assigned ?? false;
  }

  async start(): Promise<void> {
    if (this.assigned) {
      this.started = true;
      for (const r of this.ctx.registeredReaders()) this.addReader(r);
      return;
    }
    const c = this.config;
    const nc = await connectNats(c.servers, 'weir-nats-enumerator');
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(c.stream).catch((e: unknown) => {
        if (e instanceof JetStreamApiError && (e.status === 404 || e.code === 10059))
          throw connectorError('NatsSource', `setStream: stream '${c.stream}' does not exist`);
        throw e;
      });
      const first = Math.max(1, info.state.first_seq);
      const last = info.state.last_seq;
      let start: number;
      switch (c.starting.kind) {
        case 'earliest':
          start = first;
          break;
        case 'latest':
          start = last + 1;
          break;
        case 'sequence':
          start = Math.max(first, c.starting.sequence);
          break;
        case 'durable': {
          const ci = await jsm.consumers.info(c.stream, c.consumerName!).catch(() => undefined);
          start = ci ? Math.max(first, ci.ack_floor.stream_seq + 1) : first;
          break;
        }
      }
      this.pending = {
        splitId: c.stream,
        stream: c.stream,
        filterSubjects: c.filterSubjects,
        sequence: start,
        stopSequence: c.bounded ? last : null,
      };
    } finally {
      await closeQuietly(nc);
    }
    this.started = true;
    for (const r of this.ctx.registeredReaders()) this.addReader(r);
  }

  handleSplitRequest(): void {}

  addSplitsBack(splits: NatsStreamSplit[]): void {
    if (splits.length > 0) {
      this.pending = splits[0];
      this.assigned = false;
    }
  }

  addReader(subtask: number): void {
    if (!this.started) return;
    if (this.pending && subtask === owner(this.config.stream, Math.max(1, this.ctx.currentParallelism()))) {
      this.ctx.assignSplit(this.pending, subtask);
      this.pending = undefined;
      this.assigned = true;
    }
    // One split, known at start, and only its owner gets it: nothing more comes to any bounded reader.
    if (this.config.bounded) this.ctx.signalNoMoreSplits(subtask);
  }

  snapshotState(): NatsEnumState {
    return { assigned: this.assigned };
  }

  close(): void {}
}
