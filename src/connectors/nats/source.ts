/**
 * NatsSource: reads a JetStream stream, one split per subject filter given to the builder (the whole
 * stream when none is given), spread over the source's readers (source-enumerator.ts). Readers read
 * each split through an ordered consumer, or through a durable consumer that is acknowledged when a
 * checkpoint completes; each split's stream sequence of the next message to emit lives in
 * checkpoints, so a restore resumes exactly there.
 */
import type { Boundedness, Source, SourceReader, SourceReaderContext, SplitEnumerator, SplitEnumeratorContext } from '../../api/source.js';
import {
  checkName,
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
import { NatsSourceEnumerator, type NatsEnumState } from './source-enumerator.js';

export type { NatsStreamSplit } from './source-reader.js';
export type { NatsEnumState } from './source-enumerator.js';

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
  /** Only messages on these subjects (wildcards allowed); each subject is a split of its own, read in parallel. */
  setFilterSubjects(...subjects: (string | string[])[]): this {
    const filters = subjects.flat().map((s) => checkName('NatsSource', 'setFilterSubjects', s, true));
    for (const [i, a] of filters.entries())
      for (const b of filters.slice(i + 1))
        if (subjectsOverlap(a, b))
          throw connectorError('NatsSource', `setFilterSubjects: '${a}' and '${b}' overlap (a message would be read twice)`);
    this.filterSubjects = filters;
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

/** Whether some subject matches both filters (`*` one token, `>` one or more trailing tokens). */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const s = x[i];
    const t = y[i];
    if (s === '>' || t === '>') return s !== undefined && t !== undefined;
    if (s === undefined || t === undefined) return false;
    if (s !== t && s !== '*' && t !== '*') return false;
  }
  return true;
}
