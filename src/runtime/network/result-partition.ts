/**
 * The producer side of one task (Flink's ResultPartition): one RecordWriter per outgoing job edge,
 * each over the subpartitions of the consumer subtasks it feeds. Every subpartition registers for
 * its channel's credits; a credit wakes the task (it may wait for room, or for the last frames to
 * leave). The partition is available while every subpartition's backlog is below its maximum.
 */
import { consumersOf } from '../../graph/distribution.js';
import type { TaskNetworkContext } from './channel.js';
import { channelId, type ChannelEvent, type LocalFrame } from './events.js';
import { RecordWriter } from './record-writer.js';
import { ResultSubpartition } from './result-subpartition.js';

export class ResultPartition {
  readonly writers: RecordWriter[] = [];
  readonly subpartitions: ResultSubpartition[] = [];

  constructor(
    private readonly ctx: TaskNetworkContext,
    /** A subpartition received credit: the task may wait for room, or for its last frames to leave. */
    private readonly onAvailable: () => void,
  ) {}

  /** The writer of job edge `edgeId` (an output of this task's vertex), with its subpartitions registered for credit. */
  createWriter(edgeId: string): RecordWriter {
    const { jobGraph, streamGraph, vertex, subtask, connections, settings } = this.ctx;
    const edge = jobGraph.edges.find((e) => e.id === edgeId)!;
    const target = jobGraph.vertices.find((v) => v.id === edge.targetVertex)!;
    const consumers = consumersOf(edge.partitioner, vertex.parallelism, target.parallelism, subtask);
    const subs = consumers.map((c) => {
      const ch = channelId(this.ctx.jobId, this.ctx.attempt, edge.id, subtask, c);
      const peer = this.ctx.locations[target.id]![c]!;
      // A consumer in this worker runs in this thread: hand batches over by reference.
      const inThread =
        peer === connections.self && settings.inThreadByReference !== false ? { copy: settings.objectReuse !== true } : undefined;
      const sp = new ResultSubpartition(
        ch,
        connections.sinkTo(peer),
        settings.bufferSize,
        settings.maxBuffersPerChannel,
        () => this.onAvailable(),
        inThread,
      );
      connections.register(ch, 'producer', (f: LocalFrame) => {
        if (f.k === 'credit') sp.addCredit(f.n);
      });
      this.subpartitions.push(sp);
      return sp;
    });
    const sEdge = streamGraph.edge(edge.id);
    const p = sEdge.partitioner;
    const keySelector = p.kind === 'hash' || p.kind === 'custom' ? p.keySelector : undefined;
    const custom = p.kind === 'custom' ? p.partitioner : undefined;
    const w = new RecordWriter(
      subs,
      consumers,
      edge.partitioner,
      keySelector,
      target.parallelism,
      sEdge.target.maxParallelism,
      subtask,
      custom,
    );
    this.writers.push(w);
    return w;
  }

  /** False while some subpartition's backlog is at its maximum: the task must not produce more (backpressure). */
  isAvailable(): boolean {
    const ws = this.writers;
    for (let i = 0; i < ws.length; i++) if (!ws[i]!.isAvailable()) return false;
    return true;
  }

  /** Closes every subpartition's current batch into a buffer. */
  flush(): void {
    const ws = this.writers;
    for (let i = 0; i < ws.length; i++) ws[i]!.flush();
  }

  /** Sends an event (watermark, barrier, end of data or partition) on every channel. */
  broadcastEvent(ev: ChannelEvent): void {
    for (const w of this.writers) w.broadcastEvent(ev);
  }

  /** Everything, end of partition included, has been handed to the connections. */
  get drained(): boolean {
    return this.subpartitions.every((s) => s.drained);
  }

  get recordsOut(): number {
    let n = 0;
    for (const w of this.writers) n += w.recordsOut;
    return n;
  }

  get bytesOut(): number {
    let n = 0;
    for (const s of this.subpartitions) n += s.bytesOut;
    return n;
  }

  /** Stops listening for credits. */
  release(): void {
    for (const sp of this.subpartitions) this.ctx.connections.unregister(sp.channel, 'producer');
  }
}
