/**
 * Fixtures of the network layer's unit tests (test/unit/network-*.test.ts): a producer end with
 * what it handed to its connection decoded, a consumer wired to it by credits, a record writer,
 * and the real InputGate over TestConnections, which records what the gate sends and delivers
 * frames by hand.
 */
import assert from 'node:assert/strict';
import type { PartitionerKind } from '../../src/graph/distribution.js';
import type { JobEdge, JobGraph, JobVertex } from '../../src/graph/job-graph.js';
import { StreamGraph } from '../../src/graph/stream-graph.js';
import type { Barrier } from '../../src/runtime/checkpoint/barrier-aligner.js';
import { BatchDecoder } from '../../src/runtime/network/buffer-codec.js';
import type { FrameSink, NetworkSettings } from '../../src/runtime/network/channel.js';
import { ConnectionManager, type ChannelEnd, type FrameHandler } from '../../src/runtime/network/connection-manager.js';
import { channelId, type ChannelEvent, type Frame, type LocalFrame } from '../../src/runtime/network/events.js';
import { InputChannel } from '../../src/runtime/network/input-channel.js';
import { InputGate } from '../../src/runtime/network/input-gate.js';
import { RecordWriter } from '../../src/runtime/network/record-writer.js';
import { ResultSubpartition } from '../../src/runtime/network/result-subpartition.js';

export const BIG = 32 * 1024;

/** The producer end of one channel, with what it handed to the connection, decoded. */
export class Producer {
  readonly frames: Frame[] = [];
  readonly sub: ResultSubpartition;
  private readonly decoder = new BatchDecoder();
  /** One entry per data buffer sent: its records; events as `{ ev }`. */
  readonly sent: ({ records: unknown[]; timestamps: (number | undefined)[] | null; bytes: number } | { ev: ChannelEvent })[] = [];
  availableCalls = 0;

  constructor(opts: { bufferSize?: number; maxBacklog?: number; credit?: number } = {}) {
    const sink = {
      send: (f: Frame): void => {
        this.frames.push(f);
        if (f.k === 'data') {
          const [records, timestamps] = this.decoder.decode(f.buf);
          this.sent.push({ records, timestamps, bytes: f.buf.byteLength });
        } else if (f.k === 'event') this.sent.push({ ev: f.ev });
      },
    };
    this.sub = new ResultSubpartition('ch', sink, opts.bufferSize ?? BIG, opts.maxBacklog ?? 1_000, () => this.availableCalls++);
    if (opts.credit !== undefined) this.sub.addCredit(opts.credit);
  }

  /** Every record sent, in order. */
  get records(): unknown[] {
    return this.sent.flatMap((s) => ('records' in s ? s.records : []));
  }

  get dataFrames(): number {
    return this.frames.filter((f) => f.k === 'data').length;
  }
}

export function writer(
  kind: PartitionerKind,
  n: number,
  opts: { producerIndex?: number; consumerIndexes?: number[]; key?: (v: unknown) => unknown } = {},
) {
  const producers = Array.from({ length: n }, () => new Producer({ credit: 1_000 }));
  const w = new RecordWriter(
    producers.map((p) => p.sub),
    opts.consumerIndexes ?? producers.map((_, i) => i),
    kind,
    opts.key,
    n,
    128,
    opts.producerIndex ?? 0,
  );
  return { w, producers, records: () => producers.map((p) => p.records) };
}

/** One channel from producer to consumer: credits flow back at once, buffers when `deliver()` is called. */
export function wire(opts: { initialCredit: number; maxBacklog?: number; bufferSize?: number }) {
  const inFlight: LocalFrame[] = [];
  let notified = 0;
  const sub = new ResultSubpartition('ch', { send: (f) => inFlight.push(f) }, opts.bufferSize ?? BIG, opts.maxBacklog ?? 1_000, () => {});
  const credits: number[] = [];
  const channel = new InputChannel(
    'ch',
    0,
    {
      send: (f) => {
        assert.equal(f.k, 'credit');
        if (f.k === 'credit') {
          credits.push(f.n);
          sub.addCredit(f.n);
        }
      },
    },
    opts.initialCredit,
    () => notified++,
  );
  return {
    sub,
    channel,
    credits,
    inFlight,
    notified: () => notified,
    deliver(): number {
      const fs = inFlight.splice(0);
      for (const f of fs) channel.receive(f);
      return fs.length;
    },
  };
}

/**
 * A worker's connections as one task sees them: what it sends to each peer is recorded, and frames
 * reach its channel ends when the test delivers them (the real manager delivers them on a later turn).
 */
export class TestConnections extends ConnectionManager {
  readonly sent: { peer: string; frame: LocalFrame }[] = [];
  readonly ends = { consumer: new Map<string, FrameHandler>(), producer: new Map<string, FrameHandler>() };

  constructor() {
    super('self', () => {});
  }

  override sinkTo(peer: string): FrameSink {
    return { send: (frame) => this.sent.push({ peer, frame }) };
  }

  override register(channel: string, end: ChannelEnd, handler: FrameHandler): void {
    this.ends[end].set(channel, handler);
  }

  override unregister(channel: string, end: ChannelEnd): void {
    this.ends[end].delete(channel);
  }

  deliver(end: ChannelEnd, frame: LocalFrame): void {
    const h = this.ends[end].get(frame.ch);
    assert.ok(h, `no ${end} end registered for ${frame.ch}`);
    h(frame);
  }

  /** The credits sent so far, as `peer:n`. */
  credits(): string[] {
    return this.sent.flatMap(({ peer, frame }) => (frame.k === 'credit' ? [`${peer}:${frame.n}`] : []));
  }
}

export const SETTINGS: NetworkSettings = { bufferSize: BIG, maxBuffersPerChannel: 1_000, buffersPerChannel: 2, floatingBuffersPerGate: 0 };

/**
 * The real InputGate of subtask 0 of vertex `op`, fed by one upstream vertex per entry of `edges`
 * (its parallelism, over a rebalance edge: one channel per producer subtask), on logical input
 * `inputs[i]` (0 by default). Channels are numbered in the gate's order: edge by edge, producer by
 * producer; the producer of channel k lives on worker `w<k>`. What the gate tells its task is kept.
 */
export function gate(edges: number[], opts: { inputs?: number[]; checkpointing?: boolean; settings?: Partial<NetworkSettings> } = {}) {
  const vertex = (id: string, parallelism: number, inputs: string[]): JobVertex => ({
    id,
    name: id,
    parallelism,
    maxParallelism: 128,
    operators: [],
    inputs,
    isSource: inputs.length === 0,
  });
  const jobEdges: JobEdge[] = edges.map((_, i) => ({
    id: `e${i}`,
    sourceVertex: `up${i}`,
    sourceOperator: `up${i}`,
    targetVertex: 'op',
    targetOperator: 'op',
    inputIndex: opts.inputs?.[i] ?? 0,
    partitioner: 'rebalance',
  }));
  const op = vertex(
    'op',
    1,
    jobEdges.map((e) => e.id),
  );
  const jobGraph: JobGraph = {
    jobName: 'gate',
    type: 'STREAMING',
    fingerprint: '',
    structureFingerprint: '',
    vertices: [...edges.map((p, i) => vertex(`up${i}`, p, [])), op],
    edges: jobEdges,
  };
  const chIds: string[] = [];
  const locations: Record<string, string[]> = { op: ['self'] };
  edges.forEach((p, i) => {
    locations[`up${i}`] = Array.from({ length: p }, (_, producer) => {
      chIds.push(channelId('job', 0, `e${i}`, producer, 0));
      return `w${chIds.length - 1}`;
    });
  });
  const conns = new TestConnections();
  const told = {
    onData: 0,
    watermarks: [] as string[],
    ended: [] as number[],
    aligned: [] as number[],
    cancelled: [] as number[],
  };
  const g = new InputGate(
    {
      jobId: 'job',
      attempt: 0,
      jobGraph,
      streamGraph: new StreamGraph('gate', [], 'STREAMING', true),
      vertex: op,
      subtask: 0,
      locations,
      connections: conns,
      settings: { ...SETTINGS, ...opts.settings },
    },
    opts.checkpointing ?? true,
    {
      onData: () => told.onData++,
      watermark: (wm, input) => told.watermarks.push(`${input}:${wm}`),
      endInput: (input) => void told.ended.push(input),
      aligned: (b) => told.aligned.push(b.id),
      cancelled: (id) => told.cancelled.push(id),
    },
  );
  g.open();
  return {
    g,
    conns,
    told,
    chIds,
    data: (k: number, values: unknown[]): void => conns.deliver('consumer', { k: 'data', ch: chIds[k]!, buf: encode(values) }),
    event: (k: number, ev: ChannelEvent): void => conns.deliver('consumer', { k: 'event', ch: chIds[k]!, ev }),
  };
}

export const encode = (values: unknown[]): Uint8Array => {
  const p = new Producer({ credit: 1 });
  for (const v of values) p.sub.add(v, undefined);
  p.sub.flush();
  return (p.frames[0] as Extract<Frame, { k: 'data' }>).buf;
};
export const barrier = (id: number, mode: Barrier['mode'] = 'EXACTLY_ONCE'): Barrier => ({ t: 'barrier', id, timestamp: 0, mode });

/**
 * Drains the gate as the task's input loop does (events handed back to the gate, awaited when it
 * returns a promise): what it yielded, records as themselves and events as `eop`, `barrier1`...
 */
export async function drain(g: InputGate, limit = 1_000): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < limit; i++) {
    const item = g.pollNext();
    if (!item) return out;
    if (item.k === 'data') for (const v of item.values) out.push(String(v));
    else {
      out.push(`${item.ev.t}${item.ev.t === 'barrier' ? item.ev.id : ''}`);
      const pending = g.processEvent(item.ev);
      if (pending !== undefined) await pending;
    }
  }
  throw new Error(`the gate yielded more than ${limit} items`);
}
