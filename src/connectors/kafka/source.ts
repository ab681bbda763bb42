/**
 * KafkaSource (Flink's KafkaSource): partitions are splits. The enumerator, in the JobManager's
 * source coordinator, discovers the partitions of the topics (or of a topic pattern, again every
 * `partition.discovery.interval.ms` when unbounded), resolves where each starts (and, bounded,
 * stops), and assigns each partition to one reader for good. Readers keep their positions in
 * checkpoints and commit them back to the group when a checkpoint completes.
 */
import type { Boundedness, Source, SourceReader, SourceReaderContext, SplitEnumerator, SplitEnumeratorContext } from '../../api/source.js';
import { closeQuietly, createConsumer, listPartitions, listTopics, resolveOffsets, tpKey, type TopicPartition } from './kafka-client.js';
import {
  connectorError,
  named,
  type KafkaConsumerRecord,
  KafkaDeserializers,
  OffsetsInitializer,
  parseBootstrap,
  SOURCE_PROPERTIES,
  type KafkaDeserializer,
  type OffsetsSpec,
} from './options.js';
import { KafkaSourceReader, type KafkaPartitionSplit } from './source-reader.js';

export type { KafkaPartitionSplit } from './source-reader.js';

export interface KafkaSourceConfig<T> {
  bootstrapServers: string;
  topics?: string[];
  topicPattern?: RegExp;
  groupId: string;
  starting: OffsetsSpec;
  stopping?: OffsetsSpec;
  deserializer: KafkaDeserializer<T>;
  discoveryIntervalMs: number;
  commitOffsetsOnCheckpoint: boolean;
  clientIdPrefix: string;
  fetchMaxWaitMs: number;
  maxPartitionFetchBytes: number;
  readCommitted: boolean;
}

/** The enumerator's checkpointed state: partitions already handed to a reader (their positions live in the readers' state). */
export interface KafkaEnumState {
  assigned: string[];
}

export class KafkaSource<T> implements Source<T, KafkaPartitionSplit, KafkaEnumState> {
  readonly boundedness: Boundedness;

  constructor(readonly config: KafkaSourceConfig<T>) {
    this.boundedness = config.stopping ? 'BOUNDED' : 'CONTINUOUS_UNBOUNDED';
  }

  static builder<T = string>(): KafkaSourceBuilder<T> {
    return new KafkaSourceBuilder<T>();
  }

  createEnumerator(
    ctx: SplitEnumeratorContext<KafkaPartitionSplit>,
    restored?: KafkaEnumState,
  ): SplitEnumerator<KafkaPartitionSplit, KafkaEnumState> {
    return new KafkaSourceEnumerator(this.config, ctx, this.boundedness === 'BOUNDED', restored);
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, KafkaPartitionSplit> {
    return new KafkaSourceReader(this.config, ctx);
  }

  describe(): string {
    const what = this.config.topics ? this.config.topics.join(',') : `/${this.config.topicPattern!.source}/`;
    return `KafkaSource(${what}${this.boundedness === 'BOUNDED' ? ', bounded' : ''})`;
  }

  validate(): void {
    parseBootstrap(this.config.bootstrapServers);
  }
}

/** Flink's KafkaSourceBuilder. */
export class KafkaSourceBuilder<T> {
  private bootstrapServers: string | undefined;
  private topics: string[] | undefined;
  private topicPattern: RegExp | undefined;
  private groupId: string | undefined;
  private starting: OffsetsSpec = OffsetsInitializer.earliest();
  private stopping: OffsetsSpec | undefined;
  private deserializer: KafkaDeserializer<unknown> | undefined;
  private readonly props = new Map<string, string>();

  setBootstrapServers(servers: string): this {
    this.bootstrapServers = servers;
    return this;
  }
  setTopics(...topics: (string | string[])[]): this {
    this.topics = topics.flat();
    return this;
  }
  setTopicPattern(pattern: RegExp): this {
    this.topicPattern = pattern;
    return this;
  }
  setGroupId(groupId: string): this {
    this.groupId = groupId;
    return this;
  }
  setStartingOffsets(spec: OffsetsSpec): this {
    this.starting = spec;
    return this;
  }
  /** Makes the source bounded: each partition ends at the offset `spec` gives it when the job starts. */
  setBounded(spec: OffsetsSpec): this {
    this.stopping = spec;
    return this;
  }
  /** A deserializer of the whole record (key, headers, timestamp, offset). */
  setDeserializer<R>(deserializer: KafkaDeserializer<R>): KafkaSourceBuilder<R> {
    this.deserializer = deserializer as KafkaDeserializer<unknown>;
    return this as unknown as KafkaSourceBuilder<R>;
  }
  /** A deserializer of the value: 'string', 'json', 'bytes' or a function of the value bytes. */
  setValueOnlyDeserializer<R = string>(kind: 'string' | 'json' | 'bytes' | ((value: Buffer | null) => R)): KafkaSourceBuilder<R> {
    const d: KafkaDeserializer<unknown> =
      typeof kind === 'function'
        ? named(`valueOnly(${kind.toString()})`, (r: KafkaConsumerRecord) => kind(r.value))
        : kind === 'string'
          ? KafkaDeserializers.string()
          : kind === 'json'
            ? KafkaDeserializers.json()
            : kind === 'bytes'
              ? KafkaDeserializers.bytes()
              : (() => {
                  throw connectorError('KafkaSource', `unknown value deserializer '${String(kind)}' (string, json, bytes or a function)`);
                })();
    this.deserializer = d;
    return this as unknown as KafkaSourceBuilder<R>;
  }
  setClientIdPrefix(prefix: string): this {
    return this.setProperty('client.id.prefix', prefix);
  }
  /** Flink's source properties: partition.discovery.interval.ms, commit.offsets.on.checkpoint, client.id.prefix, isolation.level, fetch.max.wait.ms, max.partition.fetch.bytes. */
  setProperty(key: string, value: string | number | boolean): this {
    if (!(key in SOURCE_PROPERTIES))
      throw connectorError('KafkaSource', `unknown property '${key}' (known: ${Object.keys(SOURCE_PROPERTIES).join(', ')})`);
    this.props.set(key, String(value));
    return this;
  }

  private num(key: keyof typeof SOURCE_PROPERTIES): number {
    const raw = this.props.get(key);
    if (raw === undefined) return SOURCE_PROPERTIES[key] as number;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw connectorError('KafkaSource', `property ${key} must be a non-negative number, got '${raw}'`);
    return n;
  }

  build(): KafkaSource<T> {
    if (!this.bootstrapServers) throw connectorError('KafkaSource', 'bootstrap servers are not set (setBootstrapServers("host:9092"))');
    parseBootstrap(this.bootstrapServers);
    if (this.topics && this.topicPattern) throw connectorError('KafkaSource', 'set either topics or a topic pattern, not both');
    if (!this.topics && !this.topicPattern) throw connectorError('KafkaSource', 'no topics (setTopics("name") or setTopicPattern(/re/))');
    if (this.topics && (this.topics.length === 0 || this.topics.some((t) => typeof t !== 'string' || t.length === 0)))
      throw connectorError('KafkaSource', `bad topic list ${JSON.stringify(this.topics)}`);
    if (!this.deserializer)
      throw connectorError('KafkaSource', 'no deserializer (setValueOnlyDeserializer("string") or setDeserializer(fn))');
    if (this.starting.kind === 'committed' && !this.groupId)
      throw connectorError('KafkaSource', 'committed starting offsets need a group id (setGroupId)');
    if (this.stopping?.kind === 'committed')
      throw connectorError('KafkaSource', 'committed offsets cannot bound a source (use latest, a timestamp or offsets)');
    const isolation = this.props.get('isolation.level') ?? SOURCE_PROPERTIES['isolation.level'];
    if (isolation !== 'read_committed' && isolation !== 'read_uncommitted')
      throw connectorError('KafkaSource', `isolation.level must be read_committed or read_uncommitted, got '${isolation}'`);
    const prefix = this.props.get('client.id.prefix') ?? SOURCE_PROPERTIES['client.id.prefix'];
    return new KafkaSource<T>({
      bootstrapServers: this.bootstrapServers,
      ...(this.topics ? { topics: this.topics } : { topicPattern: this.topicPattern! }),
      groupId: this.groupId ?? `${prefix}-group`,
      starting: this.starting,
      ...(this.stopping ? { stopping: this.stopping } : {}),
      deserializer: this.deserializer as KafkaDeserializer<T>,
      discoveryIntervalMs: this.num('partition.discovery.interval.ms'),
      commitOffsetsOnCheckpoint: (this.props.get('commit.offsets.on.checkpoint') ?? 'true') === 'true' && this.groupId !== undefined,
      clientIdPrefix: prefix,
      fetchMaxWaitMs: this.num('fetch.max.wait.ms'),
      maxPartitionFetchBytes: this.num('max.partition.fetch.bytes'),
      readCommitted: isolation === 'read_committed',
    });
  }
}

/** Java's String.hashCode, for Flink's partition-to-reader assignment. */
function javaHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Flink's KafkaSourceEnumerator.getSplitOwner: a topic's partitions go round-robin from a start reader. */
export function splitOwner(tp: TopicPartition, parallelism: number): number {
  const start = ((Math.imul(javaHash(tp.topic), 31) & 0x7fffffff) >>> 0) % parallelism;
  return (start + tp.partition) % parallelism;
}

class KafkaSourceEnumerator<T> implements SplitEnumerator<KafkaPartitionSplit, KafkaEnumState> {
  private readonly assigned: Set<string>;
  private readonly pending = new Map<number, KafkaPartitionSplit[]>();
  private readonly consumer;
  private timer: NodeJS.Timeout | undefined;
  private discovering: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly config: KafkaSourceConfig<T>,
    private readonly ctx: SplitEnumeratorContext<KafkaPartitionSplit>,
    private readonly bounded: boolean,
    restored: KafkaEnumState | undefined,
  ) {
    this.assigned = new Set(restored?.assigned ?? []);
    this.consumer = createConsumer(
      config.bootstrapServers,
      `${config.clientIdPrefix}-enumerator`,
      config.groupId,
      config.readCommitted,
      config.fetchMaxWaitMs,
    );
  }

  async start(): Promise<void> {
    await this.discover();
    if (!this.bounded && this.config.discoveryIntervalMs > 0) {
      this.timer = setInterval(() => {
        // A failed discovery (broker down) is retried at the next interval.
        this.discovering ??= this.discover()
          .catch(() => undefined)
          .finally(() => (this.discovering = undefined));
      }, this.config.discoveryIntervalMs);
      this.timer.unref();
    }
  }

  /** New partitions: resolve their offsets and assign them to their owners. */
  private async discover(): Promise<void> {
    const c = this.config;
    const topics = await listTopics(c.bootstrapServers, `${c.clientIdPrefix}-enumerator`, c.topics, c.topicPattern);
    const all = await listPartitions(this.consumer, topics);
    const queued = new Set([...this.pending.values()].flat().map((s) => s.splitId));
    const fresh = all.filter((tp) => !this.assigned.has(tpKey(tp.topic, tp.partition)) && !queued.has(tpKey(tp.topic, tp.partition)));
    if (fresh.length === 0 || this.closed) return;
    const starts = await resolveOffsets(this.consumer, fresh, c.starting, c.readCommitted);
    const stops = c.stopping ? await resolveOffsets(this.consumer, fresh, c.stopping, c.readCommitted) : undefined;
    const parallelism = Math.max(1, this.ctx.currentParallelism());
    for (const tp of fresh) {
      const id = tpKey(tp.topic, tp.partition);
      const owner = splitOwner(tp, parallelism);
      const list = this.pending.get(owner) ?? [];
      list.push({
        splitId: id,
        topic: tp.topic,
        partition: tp.partition,
        offset: starts.get(id) ?? 0,
        stoppingOffset: stops ? (stops.get(id) ?? 0) : null,
      });
      this.pending.set(owner, list);
    }
    for (const r of this.ctx.registeredReaders()) this.assignTo(r);
  }

  private assignTo(subtask: number): void {
    const list = this.pending.get(subtask);
    if (list) {
      this.pending.delete(subtask);
      for (const s of list) {
        this.assigned.add(s.splitId);
        this.ctx.assignSplit(s, subtask);
      }
    }
    // Bounded: the partitions are known at start; nothing more comes.
    if (this.bounded) this.ctx.signalNoMoreSplits(subtask);
  }

  handleSplitRequest(): void {}

  addSplitsBack(splits: KafkaPartitionSplit[], subtask: number): void {
    for (const s of splits) this.assigned.delete(s.splitId);
    this.pending.set(subtask, [...(this.pending.get(subtask) ?? []), ...splits]);
  }

  addReader(subtask: number): void {
    this.assignTo(subtask);
  }

  snapshotState(): KafkaEnumState {
    return { assigned: [...this.assigned] };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await closeQuietly(this.consumer);
  }
}
