/**
 * The KafkaSource reader of one subtask: a fetch loop (Flink's split fetcher) reads its partitions
 * from their leaders into a bounded queue; pollNext emits from the queue on the task thread. A
 * split's position is the offset after the last record emitted, so a checkpoint resumes exactly
 * there. Fetch errors (a broker restarting, a leader moving) are retried until the broker is back.
 */
import type { InputStatus, ReaderOutput, SourceReader, SourceReaderContext, SourceSplit } from '../../api/source.js';
import { AvailabilitySignal } from '../base/availability.js';
import { SplitOutputs } from '../base/split-outputs.js';
import {
  closeQuietly,
  commitOffsets,
  createConsumer,
  PartitionFetcher,
  tpKey,
  type FetchedChunk,
  type FetchPosition,
} from './kafka-client.js';
import type { KafkaSourceConfig } from './source.js';

export interface KafkaPartitionSplit extends SourceSplit {
  topic: string;
  partition: number;
  /** The next offset to emit. */
  offset: number;
  /** Bounded: the partition ends before this offset; null: unbounded. */
  stoppingOffset: number | null;
}

const BATCH = 512;
/** Records fetched ahead of what pollNext emitted, at most (then the fetch loop waits). */
const MAX_QUEUED = 20_000;
const RETRY_MS = 250;

interface SplitState {
  split: KafkaPartitionSplit;
  /** Where the next fetch starts (ahead of split.offset by what is queued). */
  fetchOffset: number;
}

export class KafkaSourceReader<T> implements SourceReader<T, KafkaPartitionSplit> {
  private readonly splits = new Map<string, SplitState>();
  private readonly queue: FetchedChunk[] = [];
  private queuedRecords = 0;
  /** Index into queue[0].records of the next record to emit. */
  private head = 0;
  private noMoreSplits = false;
  private closed = false;
  private failure: unknown;
  private readonly available = new AvailabilitySignal();
  private readonly wake = new AvailabilitySignal();
  private readonly consumer;
  private readonly fetcher: PartitionFetcher;
  private loop: Promise<void> | undefined;
  private readonly toCommit = new Map<number, Map<string, FetchPosition>>();
  /** Final positions of splits that ended since the last checkpoint (committed with it). */
  private readonly ended = new Map<string, FetchPosition>();
  private committing: Promise<void> = Promise.resolve();
  /** Each partition emits through its own output: per-partition watermarks. */
  private readonly outputs = new SplitOutputs<T>();

  constructor(
    private readonly config: KafkaSourceConfig<T>,
    private readonly ctx: SourceReaderContext,
  ) {
    this.consumer = createConsumer(
      config.bootstrapServers,
      `${config.clientIdPrefix}-${ctx.subtaskIndex}`,
      config.groupId,
      config.readCommitted,
      config.fetchMaxWaitMs,
    );
    this.fetcher = new PartitionFetcher(
      this.consumer,
      `${config.clientIdPrefix}-${ctx.subtaskIndex}`,
      config.readCommitted,
      config.fetchMaxWaitMs,
      config.maxPartitionFetchBytes,
    );
  }

  start(): void {
    this.loop = this.fetchLoop();
  }

  private async fetchLoop(): Promise<void> {
    while (!this.closed) {
      const active = [...this.splits.values()].filter((s) => s.split.stoppingOffset === null || s.fetchOffset < s.split.stoppingOffset);
      if (active.length === 0 || this.queuedRecords >= MAX_QUEUED) {
        await this.wake.wait();
        continue;
      }
      let chunks: FetchedChunk[];
      try {
        chunks = await this.fetcher.fetch(
          active.map((s) => ({ topic: s.split.topic, partition: s.split.partition, offset: s.fetchOffset })),
        );
      } catch (e) {
        if (this.closed) return;
        if ((e as { code?: string }).code === 'WEIR_CONNECTOR_CONFIG') {
          this.fail(e);
          return;
        }
        // The broker is away or moving: wait and fetch again, from the same positions.
        this.consumer.clearMetadata();
        await new Promise((r) => setTimeout(r, RETRY_MS));
        continue;
      }
      for (const c of chunks) {
        const st = this.splits.get(tpKey(c.topic, c.partition));
        if (!st || c.nextOffset <= st.fetchOffset) continue;
        st.fetchOffset = c.nextOffset;
        this.queue.push(c);
        this.queuedRecords += c.records.length;
      }
      if (chunks.length > 0) this.available.notify();
    }
  }

  private fail(e: unknown): void {
    this.failure ??= e;
    this.available.notify();
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    if (this.failure) throw this.failure;
    const deserialize = this.config.deserializer;
    this.outputs.sync(output);
    let emitted = 0;
    while (emitted < BATCH && this.queue.length > 0) {
      const chunk = this.queue[0]!;
      const st = this.splits.get(tpKey(chunk.topic, chunk.partition));
      const records = chunk.records;
      if (st) {
        const split = st.split;
        const out = this.outputs.get(split.splitId, output);
        const stop = split.stoppingOffset ?? Infinity;
        while (this.head < records.length && emitted < BATCH) {
          const r = records[this.head++]!;
          if (r.offset < split.offset) continue;
          if (r.offset >= stop) {
            this.head = records.length;
            break;
          }
          split.offset = r.offset + 1;
          emitted++;
          out.collect(deserialize(r), r.timestamp);
        }
        if (this.head < records.length) break;
        // Past control records and aborted data too.
        split.offset = Math.max(split.offset, Math.min(chunk.nextOffset, stop));
        if (split.stoppingOffset !== null && split.offset >= split.stoppingOffset) {
          this.splits.delete(split.splitId);
          this.outputs.finished(split.splitId);
          this.ended.set(split.splitId, { topic: split.topic, partition: split.partition, offset: split.offset });
        }
      }
      this.queue.shift();
      this.queuedRecords -= records.length;
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

  addSplits(splits: KafkaPartitionSplit[]): void {
    for (const s of splits) {
      const split = { ...s };
      if (split.stoppingOffset !== null && split.offset >= split.stoppingOffset) continue;
      this.splits.set(split.splitId, { split, fetchOffset: split.offset });
      this.outputs.added(split.splitId);
    }
    this.wake.notify();
    this.available.notify();
  }

  notifyNoMoreSplits(): void {
    this.noMoreSplits = true;
    this.available.notify();
  }

  snapshotState(checkpointId: number): KafkaPartitionSplit[] {
    const out = [...this.splits.values()].map((s) => ({ ...s.split }));
    if (this.config.commitOffsetsOnCheckpoint) {
      const positions = new Map<string, FetchPosition>(this.ended);
      this.ended.clear();
      for (const s of out) positions.set(s.splitId, { topic: s.topic, partition: s.partition, offset: s.offset });
      this.toCommit.set(checkpointId, positions);
    }
    return out;
  }

  /** Commits the completed checkpoint's positions to the group (for monitoring; Weir restores from its checkpoints). */
  notifyCheckpointComplete(checkpointId: number): void {
    const positions = this.toCommit.get(checkpointId);
    for (const id of [...this.toCommit.keys()]) if (id <= checkpointId) this.toCommit.delete(id);
    if (!positions || this.closed) return;
    this.committing = this.committing
      .then(() => commitOffsets(this.consumer, positions))
      .catch(() => {
        /* Best effort, as in Flink: the next checkpoint commits newer offsets. */
      });
  }

  async close(): Promise<void> {
    // The last completed checkpoint's offsets (a bounded job's final one) reach the group before the client goes.
    await Promise.race([this.committing, new Promise((r) => setTimeout(r, 5000).unref())]);
    this.closed = true;
    this.wake.notify();
    await closeQuietly(this.consumer);
    await this.fetcher.close();
    await this.loop?.catch(() => undefined);
  }
}
