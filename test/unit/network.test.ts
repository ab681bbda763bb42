/**
 * The network layer, unit by unit: the record writer (partitioners, batching), the result
 * subpartition (credit-based flow control), the input channel, the input gate (round-robin polling,
 * credit, alignment, end of data and of partition per input, watermarks), the result partition
 * (credit registration, availability, events) and the watermark valve.
 *
 * The gate and the partition are the real classes over a TestConnections that records what they
 * send and delivers frames by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIN_WATERMARK } from '../../src/api/time.js';
import type { PartitionerKind } from '../../src/graph/distribution.js';
import { assignToKeyGroup, normalizeKey, operatorIndexForKeyGroup } from '../../src/graph/key-groups.js';
import { StreamExecutionEnvironment } from '../../src/api/environment.js';
import { setPipelineExecutorFactory, type Pipeline } from '../../src/api/execution-context.js';
import type { JobEdge, JobGraph, JobVertex } from '../../src/graph/job-graph.js';
import { buildJobGraph } from '../../src/graph/job-graph.js';
import { buildStreamGraph, StreamGraph } from '../../src/graph/stream-graph.js';
import type { Barrier } from '../../src/runtime/checkpoint/barrier-aligner.js';
import { BatchDecoder } from '../../src/runtime/network/buffer-codec.js';
import type { FrameSink, NetworkSettings } from '../../src/runtime/network/channel.js';
import { ConnectionManager, type ChannelEnd, type FrameHandler } from '../../src/runtime/network/connection-manager.js';
import { channelId, type ChannelEvent, type Frame, type LocalFrame } from '../../src/runtime/network/events.js';
import { InputChannel } from '../../src/runtime/network/input-channel.js';
import { InputGate } from '../../src/runtime/network/input-gate.js';
import { RecordWriter } from '../../src/runtime/network/record-writer.js';
import { ResultPartition } from '../../src/runtime/network/result-partition.js';
import { ResultSubpartition } from '../../src/runtime/network/result-subpartition.js';
import { StatusWatermarkValve } from '../../src/runtime/network/watermark-valve.js';

// ---------------------------------------------------------------- fixtures

const BIG = 32 * 1024;

/** The producer end of one channel, with what it handed to the connection, decoded. */
class Producer {
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

function writer(
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
function wire(opts: { initialCredit: number; maxBacklog?: number; bufferSize?: number }) {
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
class TestConnections extends ConnectionManager {
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

const SETTINGS: NetworkSettings = { bufferSize: BIG, maxBuffersPerChannel: 1_000, buffersPerChannel: 2, floatingBuffersPerGate: 0 };

/**
 * The real InputGate of subtask 0 of vertex `op`, fed by one upstream vertex per entry of `edges`
 * (its parallelism, over a rebalance edge: one channel per producer subtask), on logical input
 * `inputs[i]` (0 by default). Channels are numbered in the gate's order: edge by edge, producer by
 * producer; the producer of channel k lives on worker `w<k>`. What the gate tells its task is kept.
 */
function gate(edges: number[], opts: { inputs?: number[]; checkpointing?: boolean; settings?: Partial<NetworkSettings> } = {}) {
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

const encode = (values: unknown[]): Uint8Array => {
  const p = new Producer({ credit: 1 });
  for (const v of values) p.sub.add(v, undefined);
  p.sub.flush();
  return (p.frames[0] as Extract<Frame, { k: 'data' }>).buf;
};
const barrier = (id: number, mode: Barrier['mode'] = 'EXACTLY_ONCE'): Barrier => ({ t: 'barrier', id, timestamp: 0, mode });

/**
 * Drains the gate as the task's input loop does (events handed back to the gate, awaited when it
 * returns a promise): what it yielded, records as themselves and events as `eop`, `barrier1`...
 */
async function drain(g: InputGate, limit = 1_000): Promise<string[]> {
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

// ---------------------------------------------------------------- record writer: partitioners

test('record writer, forward: every record to the one subpartition, in order', () => {
  const { w, records } = writer('forward', 1);
  for (let i = 0; i < 10; i++) w.emit(i, undefined);
  w.flush();
  assert.deepEqual(records(), [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  assert.equal(w.recordsOut, 10);
});

test('record writer, hash: each record to the consumer owning its key group; a key always to the same one', () => {
  const key = (v: unknown): unknown => (v as { k: string }).k;
  const { w, records } = writer('hash', 3, { key });
  const keys = Array.from({ length: 50 }, (_, i) => `key-${i % 17}`);
  for (const k of keys) w.emit({ k }, undefined);
  w.flush();
  const got = records();
  const owner = (k: string): number => operatorIndexForKeyGroup(128, 3, assignToKeyGroup(normalizeKey(k), 128));
  for (let s = 0; s < 3; s++) {
    for (const r of got[s]!) assert.equal(owner((r as { k: string }).k), s, `${JSON.stringify(r)} in subpartition ${s}`);
  }
  assert.equal(got.flat().length, keys.length);
  assert.ok(
    got.every((g) => g.length > 0),
    'the keys spread over every consumer',
  );
  // Subpartitions ordered differently from the consumers: routed by consumer index.
  const permuted = writer('hash', 3, { key, consumerIndexes: [2, 0, 1] });
  for (const k of keys) permuted.w.emit({ k }, undefined);
  permuted.w.flush();
  const p = permuted.records();
  assert.deepEqual([p[1], p[2], p[0]], got);
});

test('record writer, rebalance and rescale: round robin over the connected subpartitions, starting at the producer index', () => {
  for (const kind of ['rebalance', 'rescale'] as const) {
    const { w, records } = writer(kind, 3, { producerIndex: 1 });
    for (let i = 0; i < 7; i++) w.emit(i, undefined);
    w.flush();
    assert.deepEqual(
      records(),
      [
        [2, 5],
        [0, 3, 6],
        [1, 4],
      ],
      kind,
    );
  }
});

test('record writer, broadcast: every record to every subpartition; events to every subpartition, after the records', () => {
  const { w, producers, records } = writer('broadcast', 3);
  w.emit('a', 1);
  w.emit('b', 2);
  w.broadcastEvent({ t: 'wm', v: 2 });
  assert.deepEqual(records(), [
    ['a', 'b'],
    ['a', 'b'],
    ['a', 'b'],
  ]);
  for (const p of producers) {
    assert.deepEqual(
      p.sent.map((s) => ('ev' in s ? s.ev : s.records)),
      [['a', 'b'], { t: 'wm', v: 2 }],
    );
  }
  assert.equal(w.recordsOut, 2, 'a broadcast record counts once');
});

test('record writer: events go to every subpartition whatever the partitioner', () => {
  const { w, producers } = writer('rebalance', 2);
  w.emit('x', undefined);
  w.broadcastEvent({ t: 'barrier', id: 1, timestamp: 0, mode: 'EXACTLY_ONCE' });
  assert.deepEqual(
    producers.map((p) => p.sent.filter((s) => 'ev' in s).length),
    [1, 1],
  );
  assert.deepEqual(
    producers.map((p) => p.records),
    [['x'], []],
  );
});

test('record writer: timestamps travel with their records', () => {
  const { w, producers } = writer('forward', 1);
  w.emit('a', 10);
  w.emit('b', undefined);
  w.emit('c', 30);
  w.flush();
  const s = producers[0]!.sent[0]!;
  assert.ok('records' in s);
  assert.deepEqual(
    s.timestamps?.map((t) => t ?? undefined),
    [10, undefined, 30],
  );
});

// ---------------------------------------------------------------- record writer: batching

test('batching by size: records collect into a buffer that leaves when full; its size follows the buffer size', () => {
  const bufferSize = 1024;
  const p = new Producer({ bufferSize, credit: 1_000 });
  const w = new RecordWriter([p.sub], [0], 'forward', undefined, 1, 128, 0);
  const record = 'x'.repeat(100);
  for (let i = 0; i < 63; i++) w.emit(record, undefined);
  assert.equal(p.dataFrames, 0, 'a buffer that is not full stays');
  assert.equal(p.sub.pendingRecords, 63);
  w.emit(record, undefined);
  assert.equal(p.dataFrames, 1, 'the first buffer leaves at 64 records');
  for (let i = 0; i < 200; i++) w.emit(record, undefined);
  const sizes = p.sent.slice(1).map((s) => ('bytes' in s ? s.bytes : 0));
  assert.ok(sizes.length >= 10, `later buffers are smaller (${sizes.length} of them)`);
  for (const b of sizes) assert.ok(b <= bufferSize + record.length + 16, `a buffer of ${b} bytes for a buffer size of ${bufferSize}`);
  assert.equal(p.records.length + p.sub.pendingRecords, 264, 'no record lost or duplicated');
});

test('buffer timeout: flush() sends what is collected, and sends nothing when nothing is', () => {
  const { w, producers } = writer('rebalance', 2);
  w.emit('a', undefined);
  assert.equal(producers[0]!.dataFrames, 0);
  w.flush();
  assert.deepEqual(
    producers.map((p) => p.dataFrames),
    [1, 0],
    'a partial buffer leaves on flush; an empty one is not sent',
  );
  w.flush();
  assert.deepEqual(
    producers.map((p) => p.dataFrames),
    [1, 0],
  );
  assert.deepEqual(producers[0]!.records, ['a']);
});

// ---------------------------------------------------------------- result subpartition: credits

test('subpartition: nothing leaves before the consumer announced itself, not even events', () => {
  const p = new Producer();
  p.sub.add(1, undefined);
  p.sub.flush();
  p.sub.addEvent({ t: 'eop' });
  assert.equal(p.frames.length, 0);
  assert.equal(p.sub.backlog, 2);
  p.sub.addCredit(1);
  assert.deepEqual(
    p.sent.map((s) => ('ev' in s ? s.ev.t : s.records)),
    [[1], 'eop'],
  );
  assert.ok(p.sub.drained);
});

test('subpartition: a buffer leaves only against a credit; the rest is the backlog', () => {
  const p = new Producer({ credit: 1 });
  for (let b = 0; b < 3; b++) {
    p.sub.add(b, undefined);
    p.sub.flush();
  }
  assert.equal(p.dataFrames, 1);
  assert.equal(p.sub.backlog, 2);
  p.sub.addCredit(1);
  assert.equal(p.dataFrames, 2);
  assert.equal(p.sub.backlog, 1);
  p.sub.addCredit(5);
  assert.equal(p.dataFrames, 3);
  assert.equal(p.sub.backlog, 0);
  assert.deepEqual(p.records, [0, 1, 2]);
  // The credits left over are used by the next buffers at once.
  p.sub.add(3, undefined);
  p.sub.flush();
  assert.equal(p.dataFrames, 4);
});

test('subpartition: unavailable while the backlog is at max-buffers-per-channel; a credit wakes the task', () => {
  const p = new Producer({ maxBacklog: 2, credit: 0 });
  assert.ok(p.sub.isAvailable());
  p.sub.add('a', undefined);
  p.sub.flush();
  assert.ok(p.sub.isAvailable(), 'a backlog of 1 of 2');
  p.sub.add('b', undefined);
  p.sub.flush();
  assert.equal(p.sub.isAvailable(), false, 'backlog at the maximum: backpressure');
  const before = p.availableCalls;
  p.sub.addCredit(1);
  assert.equal(p.availableCalls, before + 1, 'the task is told');
  assert.ok(p.sub.isAvailable());
  assert.deepEqual(p.records, ['a']);
});

test('subpartition: events use no credit and never overtake records', () => {
  const p = new Producer({ credit: 1 });
  p.sub.addEvent({ t: 'wm', v: 1 });
  assert.equal(p.sent.length, 1, 'an event leaves without a credit');
  p.sub.add('a', undefined);
  p.sub.flush(); // uses the one credit
  p.sub.add('b', undefined);
  p.sub.addEvent({ t: 'wm', v: 2 }); // flushes 'b' first; it waits for a credit, and so does the event
  p.sub.addEvent({ t: 'eop' });
  assert.deepEqual(
    p.sent.map((s) => ('ev' in s ? s.ev.t : s.records)),
    ['wm', ['a']],
  );
  assert.equal(p.sub.backlog, 3);
  assert.equal(p.sub.drained, false);
  p.sub.addCredit(1);
  assert.deepEqual(
    p.sent.map((s) => ('ev' in s ? s.ev.t : s.records)),
    ['wm', ['a'], ['b'], 'wm', 'eop'],
  );
  assert.ok(p.sub.drained);
});

// ---------------------------------------------------------------- input channel

test('input channel: announces its initial credit; returns one credit per buffer once decoded, none for events', () => {
  const w = wire({ initialCredit: 2 });
  assert.deepEqual(w.credits, []);
  w.channel.open();
  assert.deepEqual(w.credits, [2]);
  for (let b = 0; b < 5; b++) {
    w.sub.add(b, undefined);
    w.sub.flush();
  }
  assert.equal(w.inFlight.length, 2, 'two buffers in flight: the initial credit');
  assert.equal(w.sub.backlog, 3);
  w.deliver();
  assert.equal(w.notified(), 1, 'the task is told once when the channel gets data');
  const first = w.channel.poll()!;
  assert.deepEqual(first, { k: 'data', values: [0], timestamps: null });
  assert.deepEqual(w.credits, [2, 1], 'the credit comes back as the buffer is taken');
  assert.equal(w.inFlight.length, 1, 'and lets one more buffer leave');
  w.sub.addEvent({ t: 'eop' });
  const got: unknown[] = [];
  for (let i = 0; i < 20 && !w.channel.ended; i++) {
    w.deliver();
    const item = w.channel.poll();
    if (item) got.push(item.k === 'data' ? item.values[0] : item.ev.t);
  }
  assert.deepEqual(got, [1, 2, 3, 4, 'eop']);
  assert.ok(w.channel.ended, 'end of partition ends the channel');
  assert.deepEqual(w.credits, [2, 1, 1, 1, 1, 1], 'one credit per buffer, none for the event');
  assert.equal(w.channel.poll(), undefined);
  assert.equal(w.channel.hasData, false);
});

test('input channel: never more buffers in flight than credits announced', () => {
  const w = wire({ initialCredit: 3, maxBacklog: 1_000 });
  w.channel.open();
  for (let b = 0; b < 50; b++) {
    w.sub.add(b, undefined);
    w.sub.flush();
  }
  let received = 0;
  const seen: unknown[] = [];
  for (let round = 0; round < 100 && seen.length < 50; round++) {
    received += w.deliver();
    assert.ok(received - seen.length <= 3, `at most 3 buffers held by the consumer (${received - seen.length})`);
    const item = w.channel.poll();
    if (item?.k === 'data') seen.push(...item.values);
  }
  assert.deepEqual(
    seen,
    Array.from({ length: 50 }, (_, i) => i),
  );
});

// ---------------------------------------------------------------- input gate: polling, credit, alignment, end of input

test('gate: channels are polled round-robin, one buffer or event at a time; the task is woken when an empty channel gets data', async () => {
  const { g, told, data } = gate([3]);
  assert.equal(g.numChannels, 3);
  data(0, ['a1']);
  data(0, ['a2']);
  data(0, ['a3']);
  data(1, ['b1']);
  data(2, ['c1']);
  data(2, ['c2']);
  assert.equal(told.onData, 3, 'once per channel that had nothing');
  assert.deepEqual(await drain(g), ['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
  data(1, ['b2']);
  assert.equal(told.onData, 4, 'an emptied channel wakes the task again');
  assert.ok(g.bytesIn > 0);
});

test('gate: open() announces each channel its initial credit; a credit returns as a buffer is taken, none for events', async () => {
  const { g, conns, data, event } = gate([3], { settings: { buffersPerChannel: 2, floatingBuffersPerGate: 4 } });
  assert.deepEqual(conns.credits(), ['w0:3', 'w1:3', 'w2:3'], '2 exclusive buffers and a third of the 4 floating ones, to each producer');
  assert.deepEqual(
    conns.sent.map((s) => s.frame.ch),
    [0, 1, 2].map((k) => channelId('job', 0, 'e0', k, 0)),
  );
  data(1, ['b1']);
  event(1, { t: 'wm', v: 1 });
  data(2, ['c1']);
  assert.deepEqual(conns.credits().slice(3), [], 'no credit before the buffer is taken');
  assert.deepEqual(await drain(g), ['b1', 'c1', 'wm']);
  assert.deepEqual(conns.credits().slice(3), ['w1:1', 'w2:1'], 'one credit per buffer, to its producer; none for the event');
  // Without floating buffers the exclusive ones are the initial credit.
  assert.deepEqual(gate([2]).conns.credits(), ['w0:2', 'w1:2']);
});

test('gate: EXACTLY_ONCE alignment blocks each channel once its barrier arrived, until the last one did', async () => {
  const { g, told, data, event } = gate([2]);
  data(0, ['a1']);
  event(0, barrier(1));
  data(0, ['a2 after the barrier']);
  data(1, ['b1']);
  data(1, ['b2']);
  assert.deepEqual(await drain(g), ['a1', 'b1', 'barrier1', 'b2'], 'what follows the barrier waits in its channel');
  assert.deepEqual(told.aligned, []);
  event(1, barrier(1));
  assert.deepEqual(await drain(g), ['barrier1', 'a2 after the barrier']);
  assert.deepEqual(told.aligned, [1], 'aligned when the last barrier arrived');
  data(0, ['a3']);
  data(1, ['b3']);
  assert.deepEqual(await drain(g), ['b3', 'a3'], 'and every channel is released (round-robin goes on after channel 0)');
});

test('gate: alignment over one in-thread channel (records by reference) and one serialised channel', async () => {
  const { g, told, chIds, conns, data, event } = gate([2]);
  const byRef = (values: unknown[]): void => conns.deliver('consumer', { k: 'records', ch: chIds[0]!, values, timestamps: null });
  byRef(['a1']);
  event(0, barrier(1));
  byRef(['a2 after the barrier']);
  data(1, ['b1']);
  assert.deepEqual(await drain(g), ['a1', 'b1', 'barrier1'], 'the in-thread channel is blocked after its barrier');
  assert.deepEqual(conns.credits(), ['w0:2', 'w1:2', 'w0:1', 'w1:1'], 'one credit back per batch, by reference or serialised');
  event(1, barrier(1));
  assert.deepEqual(await drain(g), ['barrier1', 'a2 after the barrier']);
  assert.deepEqual(told.aligned, [1]);
  event(0, { t: 'eop' });
  data(1, ['b2']);
  event(1, barrier(2));
  assert.deepEqual(await drain(g), ['b2', 'eop', 'barrier2']);
  assert.deepEqual(told.aligned, [1, 2], 'an ended in-thread channel counts as aligned');
});

test('gate: AT_LEAST_ONCE blocks nothing and is aligned at the last barrier', async () => {
  const { g, told, event, data } = gate([2]);
  event(0, barrier(1, 'AT_LEAST_ONCE'));
  data(0, ['a after']);
  assert.deepEqual(await drain(g), ['barrier1', 'a after']);
  data(0, ['a again']);
  assert.deepEqual(await drain(g), ['a again'], 'the channel is not blocked');
  event(1, barrier(1, 'AT_LEAST_ONCE'));
  await drain(g);
  assert.deepEqual(told.aligned, [1]);
});

test('gate: without checkpointing barriers block nothing and align nothing', async () => {
  const { g, told, event, data } = gate([2], { checkpointing: false });
  event(0, barrier(1));
  data(0, ['a after']);
  event(1, barrier(1));
  assert.deepEqual(await drain(g), ['barrier1', 'barrier1', 'a after']);
  assert.deepEqual([told.aligned, told.cancelled], [[], []]);
});

test('gate: an ended channel counts as aligned; end of partition is counted once per channel and ends the input with the last', async () => {
  const { g, told, event } = gate([3]);
  event(0, barrier(1));
  event(1, { t: 'eop' });
  event(1, { t: 'eop' });
  assert.deepEqual(await drain(g), ['barrier1', 'eop', 'eop']);
  assert.deepEqual(told.aligned, []);
  event(2, { t: 'eop' });
  await drain(g);
  assert.deepEqual(told.aligned, [1], "the last open channel's end completes the alignment");
  assert.equal(g.partitionsEnded, false, 'a repeated end of partition is not counted again');
  assert.equal(g.allDataEnded, false);
  assert.deepEqual(told.ended, [], 'channel 0 is still open');
  event(0, { t: 'eop' });
  await drain(g);
  assert.ok(g.partitionsEnded);
  assert.ok(g.allDataEnded, 'end of partition without end of data ends the data too');
  assert.deepEqual(told.ended, [0], 'the input ends once, with its last channel');
});

test('gate: end of data is counted per logical input; end of partition after it does not end the input again', async () => {
  // Input 0 from two producers, input 1 from one: channels 0 and 1 are input 0, channel 2 is input 1.
  const { g, told, event, data } = gate([2, 1], { inputs: [0, 1] });
  data(2, ['x']);
  assert.equal(g.pollNext()?.k, 'data');
  assert.equal(g.input, 1, 'the logical input of the item polled');
  data(0, ['y']);
  assert.equal(g.pollNext()?.k, 'data');
  assert.equal(g.input, 0);
  event(0, { t: 'eod' });
  event(0, { t: 'eod' });
  await drain(g);
  assert.deepEqual(told.ended, [], 'a repeated end of data is not counted again');
  event(2, { t: 'eod' });
  await drain(g);
  assert.deepEqual(told.ended, [1], 'input 1 ended with its one channel');
  assert.equal(g.allDataEnded, false);
  event(1, { t: 'eod' });
  await drain(g);
  assert.deepEqual(told.ended, [1, 0]);
  assert.ok(g.allDataEnded);
  assert.equal(g.partitionsEnded, false, 'the channels are still open until end of partition');
  for (const k of [0, 1, 2]) event(k, { t: 'eop' });
  await drain(g);
  assert.ok(g.partitionsEnded);
  assert.deepEqual(told.ended, [1, 0], 'no input ends twice');
});

test('gate: an abort releases the blocked channels; a newer barrier cancels the alignment under way; late and aborted barriers are ignored', async () => {
  const { g, told, event, data } = gate([2]);
  event(0, barrier(1));
  data(0, ['a after 1']);
  assert.deepEqual(await drain(g), ['barrier1'], 'channel 0 is blocked');
  g.abortCheckpoint(1);
  assert.deepEqual(await drain(g), ['a after 1'], 'an abort releases the blocked channels');
  event(1, barrier(1));
  await drain(g);
  assert.deepEqual([told.aligned, told.cancelled], [[], []], 'a barrier of an aborted checkpoint is ignored');
  event(0, barrier(2));
  data(0, ['x']);
  data(1, ['y']);
  event(1, barrier(3));
  data(1, ['y after 3']);
  assert.deepEqual(await drain(g), ['barrier2', 'y', 'barrier3', 'x'], 'the cancelled alignment released channel 0; channel 1 waits for 3');
  assert.deepEqual(told.cancelled, [2], 'barrier 3 overtook the alignment of 2');
  event(0, barrier(3));
  assert.deepEqual(await drain(g), ['barrier3', 'y after 3']);
  assert.deepEqual(told.aligned, [3]);
});

test('gate: watermarks go through the valve of their logical input: the minimum over its active channels', async () => {
  const { g, told, event } = gate([2, 1], { inputs: [0, 1] });
  event(0, { t: 'wm', v: 10 });
  await drain(g);
  assert.deepEqual(told.watermarks, [], 'channel 1 of input 0 has no watermark yet');
  event(1, { t: 'wm', v: 5 });
  event(2, { t: 'wm', v: 7 });
  await drain(g);
  assert.deepEqual(told.watermarks, ['0:5', '1:7']);
  event(1, { t: 'status', idle: true });
  await drain(g);
  assert.deepEqual(told.watermarks, ['0:5', '1:7', '0:10'], 'without the idle channel the minimum of input 0 is 10');
  event(0, { t: 'wm', v: 8 });
  await drain(g);
  assert.equal(told.watermarks.length, 3, 'a watermark never goes back');
});

test('gate: release() stops receiving frames on every channel', () => {
  const { g, conns } = gate([2, 1], { inputs: [0, 1] });
  assert.equal(conns.ends.consumer.size, 3);
  g.release();
  assert.equal(conns.ends.consumer.size, 0);
});

// ---------------------------------------------------------------- result partition

/** The real ResultPartition of the source subtask of `source (1) -rebalance-> map (2)`, with peers w1 and w2 for the map's subtasks. */
async function partition(settings: Partial<NetworkSettings> = {}, mapWorkers: string[] = ['w1', 'w2']) {
  let pipeline: Pipeline | undefined;
  setPipelineExecutorFactory(() => ({
    execute: (p) => {
      pipeline = p;
      return Promise.reject(new Error('kept, not run'));
    },
  }));
  try {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    env
      .fromSequence(0, 9)
      .rebalance()
      .map((x) => x)
      .setParallelism(2)
      .print();
    await assert.rejects(env.executeAsync('partition'), /kept, not run/);
  } finally {
    setPipelineExecutorFactory(undefined);
  }
  assert.ok(pipeline);
  const streamGraph = buildStreamGraph(pipeline, { parallelism: 1, maxParallelism: 128, runtimeMode: 'STREAMING' });
  const jobGraph = buildJobGraph(streamGraph);
  const edge = jobGraph.edges.find((e) => e.partitioner === 'rebalance')!;
  const source = jobGraph.vertices.find((v) => v.id === edge.sourceVertex)!;
  const map = jobGraph.vertices.find((v) => v.id === edge.targetVertex)!;
  assert.equal(map.parallelism, 2);
  const conns = new TestConnections();
  let available = 0;
  const rp = new ResultPartition(
    {
      jobId: 'job',
      attempt: 0,
      jobGraph,
      streamGraph,
      vertex: source,
      subtask: 0,
      locations: { [source.id]: ['self'], [map.id]: mapWorkers },
      connections: conns,
      settings: { ...SETTINGS, ...settings },
    },
    () => available++,
  );
  const w = rp.createWriter(edge.id);
  const ch = [0, 1].map((c) => channelId('job', 0, edge.id, 0, c));
  const decoder = new BatchDecoder();
  return {
    rp,
    w,
    conns,
    ch,
    available: () => available,
    credit: (c: number, n: number): void => conns.deliver('producer', { k: 'credit', ch: ch[c]!, n }),
    /** What reached each peer: records and event types, in order. */
    sent: (): Record<string, unknown[]> => {
      const out: Record<string, unknown[]> = {};
      for (const { peer, frame } of conns.sent) {
        const list = (out[`${peer} ${frame.ch === ch[0] ? 'ch0' : frame.ch === ch[1] ? 'ch1' : frame.ch}`] ??= []);
        if (frame.k === 'data') list.push(decoder.decode(frame.buf)[0]);
        else if (frame.k === 'records') list.push({ byReference: frame.values });
        else if (frame.k === 'event') list.push(frame.ev.t);
      }
      return out;
    },
  };
}

test('result partition: a subpartition per consumer registered for its credits; unavailable while a backlog is at its maximum; a credit wakes the task', async () => {
  const { rp, w, conns, credit, available, sent } = await partition({ maxBuffersPerChannel: 2 });
  assert.equal(rp.subpartitions.length, 2);
  assert.equal(conns.ends.producer.size, 2);
  assert.ok(rp.isAvailable());
  for (let round = 0; round < 2; round++) {
    w.emit(`r${round}a`, undefined);
    w.emit(`r${round}b`, undefined);
    rp.flush();
  }
  assert.deepEqual(conns.sent, [], 'nothing leaves before a consumer announced itself');
  assert.equal(rp.isAvailable(), false, 'two buffers waiting on each subpartition: backpressure');
  credit(0, 1);
  assert.equal(available(), 1, 'the task is told');
  assert.equal(rp.isAvailable(), false, "the other subpartition's backlog is still at its maximum");
  credit(1, 1);
  assert.equal(available(), 2);
  assert.ok(rp.isAvailable());
  assert.deepEqual(sent(), { 'w1 ch0': [['r0a']], 'w2 ch1': [['r0b']] }, 'one buffer per credit, to the worker of its consumer');
  assert.equal(rp.recordsOut, 4);
  assert.ok(rp.bytesOut > 0);
  rp.release();
  assert.equal(conns.ends.producer.size, 0, 'no more credits are listened for');
});

test('result partition: a consumer in this worker gets batches by reference (copied unless object reuse); others serialised buffers', async () => {
  const rec = { n: 1, tags: ['x'] };
  for (const objectReuse of [false, true]) {
    const { rp, w, credit, sent } = await partition({ objectReuse }, ['self', 'w2']);
    assert.deepEqual(
      rp.subpartitions.map((s) => s.byReference),
      [true, false],
    );
    credit(0, 1);
    credit(1, 1);
    w.emit(rec, undefined);
    w.emit(rec, undefined);
    rp.flush();
    const got = sent();
    const [batch] = got['self ch0'] as { byReference: unknown[] }[];
    assert.deepEqual(batch!.byReference, [rec]);
    assert.equal(batch!.byReference[0] === rec, objectReuse, objectReuse ? 'passed as is' : 'a copy');
    assert.deepEqual(got['w2 ch1'], [[rec]], 'serialised to the other worker');
    assert.equal(rp.bytesOut > 0, true, 'bytes are counted for the serialised channel only');
    assert.equal(rp.subpartitions[0]!.bytesOut, 0);
  }
  const off = await partition({ inThreadByReference: false }, ['self', 'w2']);
  assert.deepEqual(
    off.rp.subpartitions.map((s) => s.byReference),
    [false, false],
    'taskmanager.network.in-thread-by-reference: false serialises every channel',
  );
});

test('result partition: events use no credit but never overtake buffers; drained once end of partition left', async () => {
  const { rp, w, credit, sent } = await partition();
  credit(0, 1);
  credit(1, 1);
  w.emit('a', undefined);
  w.emit('b', undefined);
  rp.broadcastEvent({ t: 'wm', v: 5 }); // flushes first: one buffer each, against the credit
  rp.broadcastEvent(barrier(1)); // no credit left: events leave all the same
  assert.deepEqual(sent(), { 'w1 ch0': [['a'], 'wm', 'barrier'], 'w2 ch1': [['b'], 'wm', 'barrier'] });
  w.emit('c', undefined);
  w.emit('d', undefined);
  rp.broadcastEvent({ t: 'eop' });
  assert.equal(rp.drained, false, 'the buffers wait for credit, and the end of partition behind them');
  assert.deepEqual(sent()['w1 ch0'], [['a'], 'wm', 'barrier']);
  credit(0, 1);
  credit(1, 1);
  assert.deepEqual(sent(), { 'w1 ch0': [['a'], 'wm', 'barrier', ['c'], 'eop'], 'w2 ch1': [['b'], 'wm', 'barrier', ['d'], 'eop'] });
  assert.ok(rp.drained);
});

// ---------------------------------------------------------------- watermark valve

function valve(channels: number) {
  const out: (number | string)[] = [];
  const v = new StatusWatermarkValve(channels, {
    watermark: (wm) => out.push(wm),
    status: (idle) => out.push(idle ? 'idle' : 'active'),
  });
  return { v, out };
}

test('valve: the minimum over the channels, emitted only when it advances', () => {
  const { v, out } = valve(3);
  assert.equal(v.current, MIN_WATERMARK);
  v.inputWatermark(0, 10);
  v.inputWatermark(1, 5);
  assert.deepEqual(out, [], 'channel 2 has no watermark yet');
  v.inputWatermark(2, 7);
  assert.deepEqual(out, [5]);
  v.inputWatermark(1, 20);
  assert.deepEqual(out, [5, 7]);
  v.inputWatermark(2, 6);
  assert.deepEqual(out, [5, 7], "a channel's watermark never goes back");
  v.inputWatermark(2, 30);
  assert.deepEqual(out, [5, 7, 10]);
  assert.equal(v.current, 10);
});

test('valve: idle channels are left out; all idle makes the input idle; back from idle it counts again', () => {
  const { v, out } = valve(2);
  v.inputWatermark(0, 10);
  assert.deepEqual(out, []);
  v.inputStatus(1, true);
  assert.deepEqual(out, [10], 'without the idle channel the minimum is 10');
  v.inputWatermark(0, 15);
  assert.deepEqual(out, [10, 15]);
  v.inputStatus(0, true);
  assert.deepEqual(out, [10, 15, 'idle'], 'every channel idle: the input is idle');
  v.inputWatermark(1, 100);
  assert.deepEqual(out, [10, 15, 'idle'], 'an idle channel does not move the watermark');
  v.inputStatus(1, false);
  assert.deepEqual(out, [10, 15, 'idle', 'active', 100], 'back from idle with its watermark');
  v.inputStatus(0, false);
  v.inputWatermark(0, 50);
  assert.deepEqual(out, [10, 15, 'idle', 'active', 100], 'the output never goes back');
  v.inputWatermark(0, 120);
  assert.deepEqual(out, [10, 15, 'idle', 'active', 100], 'channel 1 holds it at 100');
  v.inputWatermark(1, 130);
  assert.deepEqual(out, [10, 15, 'idle', 'active', 100, 120]);
  v.inputStatus(0, false);
  assert.equal(out.length, 6, 'a status that does not change is not repeated');
});
