/**
 * The NatsSource split enumerator, in the JobManager's source coordinator. A source has one split
 * per subject filter given to the builder (the whole stream when none is given): each is read
 * through a consumer of its own (ordered, or a durable one named after the source's consumer name)
 * and has its own stream sequence in checkpoints, so a parallel source reads filters in parallel.
 * At start the enumerator resolves where every split starts (and, bounded, the stream's last
 * sequence, where every split stops); splits go to readers by a stable round robin.
 */
import { jetstreamManager, JetStreamApiError } from '@nats-io/jetstream';
import type { SplitEnumerator, SplitEnumeratorContext } from '../../api/source.js';
import { closeQuietly, connectNats, connectorError } from './options.js';
import type { NatsSourceConfig } from './source.js';
import type { NatsStreamSplit } from './source-reader.js';

export interface NatsEnumState {
  /** Splits handed to readers (their positions live in the readers' state). */
  assignedSplits: string[];
  /** Splits resolved but not handed out yet; undefined: not resolved yet. */
  pendingSplits?: NatsStreamSplit[];
}

/** Java's String.hashCode, so owners are stable across runs. */
function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h & 0x7fffffff;
}

/** The split of filter `index`: consecutive filters go to consecutive subtasks. */
export function splitOwner(stream: string, index: number, parallelism: number): number {
  return (hash(stream) + index) % parallelism;
}

/** The durable consumer of a split: the source's name, suffixed by the filter's index when there are several. */
export function durableName(consumerName: string, index: number, filters: number): string {
  return filters > 1 ? `${consumerName}-${index}` : consumerName;
}

export class NatsSourceEnumerator<T> implements SplitEnumerator<NatsStreamSplit, NatsEnumState> {
  private readonly assigned: Set<string>;
  private pending: NatsStreamSplit[] | undefined;
  private started = false;

  constructor(
    private readonly config: NatsSourceConfig<T>,
    private readonly ctx: SplitEnumeratorContext<NatsStreamSplit>,
    restored: NatsEnumState | undefined,
  ) {
    this.assigned = new Set(restored?.assignedSplits ?? []);
    this.pending = restored?.pendingSplits;
    // State of a single-split source: its one split was handed out.
    if ((restored as { assigned?: unknown } | undefined)?.assigned === true) this.pending = [];
  }

  async start(): Promise<void> {
    this.pending ??= (await this.resolveSplits()).filter((s) => !this.assigned.has(s.splitId));
    this.started = true;
    for (const r of this.ctx.registeredReaders()) this.addReader(r);
  }

  private async resolveSplits(): Promise<NatsStreamSplit[]> {
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
      const filters = c.filterSubjects.length > 0 ? c.filterSubjects.map((f) => [f]) : [[]];
      const splits: NatsStreamSplit[] = [];
      for (const [index, filterSubjects] of filters.entries()) {
        const consumer = c.consumerName === undefined ? undefined : durableName(c.consumerName, index, filters.length);
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
            const ci = await jsm.consumers.info(c.stream, consumer!).catch(() => undefined);
            start = ci ? Math.max(first, ci.ack_floor.stream_seq + 1) : first;
            break;
          }
        }
        splits.push({
          splitId: filterSubjects.length === 0 ? c.stream : `${c.stream}:${filterSubjects[0]!}`,
          index,
          stream: c.stream,
          filterSubjects,
          ...(consumer === undefined ? {} : { consumerName: consumer }),
          sequence: start,
          stopSequence: c.bounded ? last : null,
        });
      }
      return splits;
    } finally {
      await closeQuietly(nc);
    }
  }

  handleSplitRequest(): void {}

  addSplitsBack(splits: NatsStreamSplit[]): void {
    for (const s of splits) {
      this.assigned.delete(s.splitId);
      this.pending?.push(s);
    }
  }

  addReader(subtask: number): void {
    if (!this.started || !this.pending) return;
    const parallelism = Math.max(1, this.ctx.currentParallelism());
    const mine = this.pending.filter((s) => splitOwner(s.stream, s.index ?? 0, parallelism) === subtask);
    for (const s of mine) {
      this.ctx.assignSplit(s, subtask);
      this.assigned.add(s.splitId);
    }
    this.pending = this.pending.filter((s) => !mine.includes(s));
    // Every split is known at start and only its owner gets it: nothing more comes to any bounded reader.
    if (this.config.bounded) this.ctx.signalNoMoreSplits(subtask);
  }

  snapshotState(): NatsEnumState {
    return {
      assignedSplits: [...this.assigned],
      pendingSplits: this.pending?.map((s) => ({ ...s, filterSubjects: [...s.filterSubjects] })),
    };
  }

  close(): void {}
}
