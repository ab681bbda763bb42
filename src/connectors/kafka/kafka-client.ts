/**
 * The client calls KafkaSource makes, over @platformatic/kafka's Consumer used without joining a
 * group (partitions are assigned by Weir's split enumerator, as in Flink): metadata, offsets
 * lookups, fetches with read_committed filtering, and committing offsets back to the group.
 */
import { Admin, Consumer, FetchIsolationLevels } from '@platformatic/kafka';
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

/** One fetch round over `positions`: per leader broker, read_committed filtering of aborted data done by the client. */
export async function fetchOnce(consumer: Consumer, positions: FetchPosition[], maxPartitionBytes: number): Promise<FetchedChunk[]> {
  const topics = [...new Set(positions.map((p) => p.topic))];
  const meta = await consumer.metadata({ topics });
  const byLeader = new Map<
    number,
    Map<
      string,
      {
        topicId: string;
        partitions: {
          partition: number;
          currentLeaderEpoch: number;
          fetchOffset: bigint;
          lastFetchedEpoch: number;
          partitionMaxBytes: number;
        }[];
      }
    >
  >();
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
      partitionMaxBytes: maxPartitionBytes,
    });
  }
  const responses = await Promise.all([...byLeader].map(([node, ts]) => consumer.fetch({ node, topics: [...ts.values()] })));
  const chunks: FetchedChunk[] = [];
  for (const res of responses)
    for (const t of res.responses) {
      const topic = names.get(t.topicId);
      if (topic === undefined) continue;
      for (const p of t.partitions) {
        if (p.errorCode !== 0) {
          consumer.clearMetadata();
          if (p.errorCode === 1)
            throw connectorError(
              'KafkaSource',
              `offset out of range on ${tpKey(topic, p.partitionIndex)} (the data was deleted by retention)`,
            );
          continue;
        }
        const batches = p.records ?? [];
        if (batches.length === 0) continue;
        const records: KafkaConsumerRecord[] = [];
        let next = -1;
        for (const b of batches) {
          next = Number(b.firstOffset) + b.lastOffsetDelta + 1;
          if (b.attributes & IS_CONTROL) continue;
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
        chunks.push({ topic, partition: p.partitionIndex, records, nextOffset: next });
      }
    }
  return chunks;
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
