/**
 * The client calls KafkaSource makes, over @platformatic/kafka's Consumer used without joining a
 * group (partitions are assigned by Weir's split enumerator, as in Flink): metadata, offsets
 * lookups, fetches with read_committed filtering, and committing offsets back to the group.
 */
import { Admin, ConnectionPool, Consumer, FetchIsolationLevels, fetchV17 } from '@platformatic/kafka';
import { parseBootstrap, type KafkaConsumerRecord, type OffsetsSpec } from './options.js';
import { connectorError } from './options.js';

const IS_CONTROL = 1 << 5;

export interface TopicPartition {
  topic: string;
  partition: number;
}

export const tpKey = (topic: string, partition: number): string => `${topic}-${partition}`;

export interface FetchedChunk {
  topic: string;
  partition: number;
  records: KafkaConsumerRecord[];
  /** The offset to fetch next (past control records and aborted data too). */
  nextOffset: number;
}

export function createConsumer(
  bootstrapServers: string,
  clientId: string,
  groupId: string,
  readCommitted: boolean,
  maxWaitMs: number,
): Consumer {
  const consumer = new Consumer({
    clientId,
    groupId,
    bootstrapBrokers: parseBootstrap(bootstrapServers).map((b) => `${b.host}:${b.port}`),
    isolationLevel: readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
    maxWaitTime: maxWaitMs,
    retries: 2,
    retryDelay: 250,
    timeout: 10_000,
    autocreateTopics: false,
  });
  // Offsets are committed as a "simple" (group-less) consumer, as Flink's source does.
  consumer.generationId = -1;
  consumer.memberId = '';
  return consumer;
}

/** Topics on the cluster whose names match (user topics only). */
export async function listTopics(
  bootstrapServers: string,
  clientId: string,
  topics: readonly string[] | undefined,
  pattern: RegExp | undefined,
): Promise<string[]> {
  if (topics) return [...topics];
  const admin = new Admin({
    clientId,
    bootstrapBrokers: parseBootstrap(bootstrapServers).map((b) => `${b.host}:${b.port}`),
    retries: 2,
    timeout: 10_000,
  });
  try {
    const all = await admin.listTopics({ includeInternals: false });
    return all.filter((t) => !t.startsWith('__') && pattern!.test(t));
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Partitions of `topics` (topics that do not exist are skipped: discovery finds them later). */
export async function listPartitions(consumer: Consumer, topics: string[]): Promise<TopicPartition[]> {
  const out: TopicPartition[] = [];
  if (topics.length === 0) return out;
  for (const topic of topics) {
    try {
      const meta = await consumer.metadata({ topics: [topic], forceUpdate: true });
      const t = meta.topics.get(topic);
      if (!t) continue;
      for (let p = 0; p < t.partitionsCount; p++) out.push({ topic, partition: p });
    } catch {
      /* unknown topic: not there yet */
    }
  }
  return out;
}

async function listOffsetsAt(
  consumer: Consumer,
  tps: TopicPartition[],
  timestamp: bigint,
  readCommitted: boolean,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (tps.length === 0) return out;
  const topics = [...new Set(tps.map((t) => t.topic))];
  const partitions: Record<string, number[]> = {};
  for (const t of tps) (partitions[t.topic] ??= []).push(t.partition);
  const offsets = await consumer.listOffsets({
    topics,
    partitions,
    timestamp,
    isolationLevel: readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
  });
  for (const [topic, list] of offsets) list.forEach((o, p) => partitions[topic]?.includes(p) && out.set(tpKey(topic, p), Number(o)));
  return out;
}

/** The offsets `spec` gives each partition; `groupId` for committed offsets. */
export async function resolveOffsets(
  consumer: Consumer,
  tps: TopicPartition[],
  spec: OffsetsSpec,
  readCommitted: boolean,
): Promise<Map<string, number>> {
  const earliest = (): Promise<Map<string, number>> => listOffsetsAt(consumer, tps, -2n, readCommitted);
  const latest = (): Promise<Map<string, number>> => listOffsetsAt(consumer, tps, -1n, readCommitted);
  switch (spec.kind) {
    case 'earliest':
      return earliest();
    case 'latest':
      return latest();
    case 'timestamp': {
      const at = await listOffsetsAt(consumer, tps, BigInt(spec.timestamp), readCommitted);
      const end = await latest();
      // No record at or after the timestamp: -1 from the broker, start at the end.
      for (const [k, o] of at) if (o < 0) at.set(k, end.get(k) ?? 0);
      return at;
    }
    case 'committed':
    case 'offsets': {
      const known = new Map<string, number>();
      if (spec.kind === 'offsets') for (const [k, o] of Object.entries(spec.offsets)) known.set(k, o);
      else {
        const topics = [...new Set(tps.map((t) => t.topic))].map((topic) => ({
          topic,
          partitions: tps.filter((t) => t.topic === topic).map((t) => t.partition),
        }));
        const committed = await consumer.listCommittedOffsets({ topics });
        for (const [topic, list] of committed) list.forEach((o, p) => o >= 0n && known.set(tpKey(topic, p), Number(o)));
      }
      const missing = tps.filter((t) => !known.has(tpKey(t.topic, t.partition)));
      if (missing.length > 0) {
        if (spec.reset === 'NONE')
          throw connectorError(
            'KafkaSource',
            `no committed offset for ${missing.map((t) => tpKey(t.topic, t.partition)).join(', ')} and the reset strategy is NONE`,
          );
        const reset = spec.reset === 'EARLIEST' ? await earliest() : await latest();
        for (const t of missing) known.set(tpKey(t.topic, t.partition), reset.get(tpKey(t.topic, t.partition)) ?? 0);
      }
      return known;
    }
  }
}

export interface FetchPosition {
  topic: string;
  partition: number;
  offset: number;
}

const IS_TRANSACTIONAL = 1 << 4;

type FetchPartitionResponse = Awaited<ReturnType<typeof fetchV17.api.async>>['responses'][number]['partitions'][number];

/**
 * Records of one partition's fetch response that a read_committed reader may see (the Java
 * client's algorithm): batches of a transaction that was aborted are dropped, from the transaction's
 * first offset up to its ABORT marker; control batches (markers) are never records.
 */
export function committedRecords(topic: string, p: FetchPartitionResponse, readCommitted: boolean): FetchedChunk {
  const batches = p.records ?? [];
  const aborted = [...(p.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const open = new Set<bigint>();
  let ai = 0;
  const records: KafkaConsumerRecord[] = [];
  let next = -1;
  for (const b of batches) {
    const last = b.firstOffset + BigInt(b.lastOffsetDelta);
    next = Number(last) + 1;
    if (readCommitted) while (ai < aborted.length && aborted[ai]!.firstOffset <= last) open.add(aborted[ai++]!.producerId);
    if (b.attributes & IS_CONTROL) {
      // An ABORT marker (type 0) ends that producer's aborted transaction.
      if (b.records[0]?.key?.readInt16BE(2) === 0) open.delete(b.producerId);
      continue;
    }
    if (readCommitted && b.attributes & IS_TRANSACTIONAL && open.has(b.producerId)) continue;
    for (const r of b.records) {
      const headers: Record<string, Buffer | null> = {};
      for (const [hk, hv] of r.headers) if (hk) headers[hk.toString('utf8')] = hv;
      records.push({
        topic,
        partition: p.partitionIndex,
        offset: Number(b.firstOffset) + r.offsetDelta,
        timestamp: Number(b.firstTimestamp + r.timestampDelta),
        key: r.key,
        value: r.value,
        headers,
      });
    }
  }
  return { topic, partition: p.partitionIndex, records, nextOffset: next };
}

/**
 * Fetches partitions from their leaders with sessionless Fetch requests over its own connections;
 * the consumer serves metadata. Filtering of aborted data is done here (committedRecords).
 */
export class PartitionFetcher {
  private readonly pool: ConnectionPool;

  constructor(
    private readonly consumer: Consumer,
    clientId: string,
    private readonly readCommitted: boolean,
    private readonly maxWaitMs: number,
    private readonly maxPartitionBytes: number,
  ) {
    this.pool = new ConnectionPool(clientId, { connectTimeout: 5000 });
  }

  async fetch(positions: FetchPosition[]): Promise<FetchedChunk[]> {
    const topics = [...new Set(positions.map((p) => p.topic))];
    const meta = await this.consumer.metadata({ topics });
    type Req = {
      topicId: string;
      partitions: {
        partition: number;
        currentLeaderEpoch: number;
        fetchOffset: bigint;
        lastFetchedEpoch: number;
        partitionMaxBytes: number;
      }[];
    };
    const byLeader = new Map<number, Map<string, Req>>();
    const names = new Map<string, string>();
    for (const p of positions) {
      const t = meta.topics.get(p.topic);
      const pm = t?.partitions[p.partition];
      if (!t || !pm) continue;
      names.set(t.id, p.topic);
      let topicsOf = byLeader.get(pm.leader);
      if (!topicsOf) byLeader.set(pm.leader, (topicsOf = new Map()));
      let entry = topicsOf.get(p.topic);
      if (!entry) topicsOf.set(p.topic, (entry = { topicId: t.id, partitions: [] }));
      entry.partitions.push({
        partition: p.partition,
        currentLeaderEpoch: -1,
        fetchOffset: BigInt(p.offset),
        lastFetchedEpoch: -1,
        partitionMaxBytes: this.maxPartitionBytes,
      });
    }
    const isolation = this.readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED;
    const responses = await Promise.all(
      [...byLeader].map(async ([node, ts]) => {
        const broker = meta.brokers.get(node);
        if (!broker) throw Object.assign(new Error(`no broker ${node} in the metadata`), { code: 'PLT_KFK_NETWORK' });
        const conn = await this.pool.get(broker);
        // Session id 0, epoch -1: a full fetch that opens no fetch session.
        return fetchV17.api.async(conn, this.maxWaitMs, 1, 16 * 1024 * 1024, isolation, 0, -1, [...ts.values()], [], '');
      }),
    );
    const chunks: FetchedChunk[] = [];
    for (const res of responses)
      for (const t of res.responses) {
        const topic = names.get(t.topicId);
        if (topic === undefined) continue;
        for (const p of t.partitions) {
          if (p.errorCode !== 0) {
            this.consumer.clearMetadata();
            if (p.errorCode === 1)
              throw connectorError(
                'KafkaSource',
                `offset out of range on ${tpKey(topic, p.partitionIndex)} (the data was deleted by retention)`,
              );
            continue;
          }
          if ((p.records ?? []).length === 0) continue;
          chunks.push(committedRecords(topic, p, this.readCommitted));
        }
      }
    return chunks;
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }
}

/** Closes a client without waiting for what it has in flight; errors are dropped (it is going away). */
export async function closeQuietly(client: { close(force?: boolean): Promise<void> } | { close(): Promise<void> }): Promise<void> {
  try {
    await (client.close as (force?: boolean) => Promise<void>).call(client, true);
  } catch {
    /* already closed or unreachable */
  }
}

export async function commitOffsets(consumer: Consumer, offsets: Map<string, FetchPosition>): Promise<void> {
  if (offsets.size === 0) return;
  consumer.generationId = -1;
  consumer.memberId = '';
  await consumer.commit({
    offsets: [...offsets.values()].map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })),
  });
}
