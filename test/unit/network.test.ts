/**
 * The network layer, unit by unit: the record writer (partitioners, batching), the result
 * subpartition (credit-based flow control), the input channel and the consumer side of a task's
 * input (round-robin polling, alignment, end of partition), and the watermark valve.
 *
 * The fixtures at the top are the only places that name the classes under test, so that the tests
 * follow them when the producer and consumer sides move (result partition, input gate).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIN_WATERMARK } from '../../src/api/time.js';
import type { PartitionerKind } from '../../src/graph/distribution.js';
import { assignToKeyGroup, normalizeKey, operatorIndexForKeyGroup } from '../../src/graph/key-groups.js';
import { BarrierAligner, type Barrier } from '../../src/runtime/checkpoint/barrier-aligner.js';
import { BatchDecoder } from '../../src/runtime/network/buffer-codec.js';
import type { ChannelEvent, Frame } from '../../src/runtime/network/events.js';
import { InputChannel, type InputItem } from '../../src/runtime/network/input-channel.js';
import { RecordWriter } from '../../src/runtime/network/record-writer.js';
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
  const inFlight: Frame[] = [];
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
 * The consumer side of a task's input: the channels polled round-robin, skipping the ones an
 * alignment blocked; end of partition counted once per channel. This is the selection Task's input
 * loop makes today (task.ts, pollInputs), over the public behaviour of InputChannel and BarrierAligner.
 */
class Gate {
  private next = 0;
  readonly ended = new Set<number>();
  readonly aligned: number[] = [];
  readonly cancelled: number[] = [];
  readonly aligner: BarrierAligner;

  constructor(readonly channels: InputChannel[]) {
    this.aligner = new BarrierAligner(channels.length, {
      aligned: (b) => this.aligned.push(b.id),
      cancelled: (id) => this.cancelled.push(id),
    });
  }

  get open(): number {
    return this.channels.length - this.ended.size;
  }

  /** The next item and the channel it came from, or undefined when no unblocked channel has data. */
  pollNext(): { ch: number; item: InputItem } | undefined {
    const n = this.channels.length;
    for (let k = 0; k < n; k++) {
      const j = (this.next + k) % n;
      if (this.channels[j]!.hasData && !this.aligner.isBlocked(j)) {
        this.next = (j + 1) % n;
        const item = this.channels[j]!.poll()!;
        if (item.k === 'event' && item.ev.t === 'barrier') this.aligner.onBarrier(j, item.ev);
        if (item.k === 'event' && item.ev.t === 'eop' && !this.ended.has(j)) {
          this.ended.add(j);
          this.aligner.onEndOfPartition(j);
        }
        return { ch: j, item };
      }
    }
    return undefined;
  }
}

/** A channel fed directly with frames (what arrived on the connection). */
function channel(index: number, credits: Frame[] = []): InputChannel {
  return new InputChannel(`ch${index}`, index, { send: (f) => credits.push(f) }, 2, () => {});
}

const encode = (values: unknown[]): Uint8Array => {
  const p = new Producer({ credit: 1 });
  for (const v of values) p.sub.add(v, undefined);
  p.sub.flush();
  return (p.frames[0] as Extract<Frame, { k: 'data' }>).buf;
};
const dataFrame = (ch: number, values: unknown[]): Frame => ({ k: 'data', ch: `ch${ch}`, buf: encode(values) });
const eventFrame = (ch: number, ev: ChannelEvent): Frame => ({ k: 'event', ch: `ch${ch}`, ev });
const barrier = (id: number, mode: Barrier['mode'] = 'EXACTLY_ONCE'): Barrier => ({ t: 'barrier', id, timestamp: 0, mode });

/** Drains the gate: what it yielded, as `ch:record` or `ch:event`. */
function drain(g: Gate, limit = 1_000): string[] {
  const out: string[] = [];
  for (let i = 0; i < limit; i++) {
    const r = g.pollNext();
    if (!r) return out;
    if (r.item.k === 'data') for (const v of r.item.values) out.push(`${r.ch}:${String(v)}`);
    else out.push(`${r.ch}:${r.item.ev.t}${r.item.ev.t === 'barrier' ? r.item.ev.id : ''}`);
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

// ---------------------------------------------------------------- input gate: polling, alignment, end of partition

test('gate: channels are polled round-robin, one buffer or event at a time', () => {
  const chs = [channel(0), channel(1), channel(2)];
  const g = new Gate(chs);
  chs[0]!.receive(dataFrame(0, ['a1']));
  chs[0]!.receive(dataFrame(0, ['a2']));
  chs[0]!.receive(dataFrame(0, ['a3']));
  chs[1]!.receive(dataFrame(1, ['b1']));
  chs[2]!.receive(dataFrame(2, ['c1']));
  chs[2]!.receive(dataFrame(2, ['c2']));
  assert.deepEqual(drain(g), ['0:a1', '1:b1', '2:c1', '0:a2', '2:c2', '0:a3']);
});

test('gate: EXACTLY_ONCE alignment blocks each channel once its barrier arrived, until the last one did', () => {
  const chs = [channel(0), channel(1)];
  const g = new Gate(chs);
  chs[0]!.receive(dataFrame(0, ['a1']));
  chs[0]!.receive(eventFrame(0, barrier(1)));
  chs[0]!.receive(dataFrame(0, ['a2 after the barrier']));
  chs[1]!.receive(dataFrame(1, ['b1']));
  chs[1]!.receive(dataFrame(1, ['b2']));
  assert.deepEqual(drain(g), ['0:a1', '1:b1', '0:barrier1', '1:b2']);
  assert.ok(g.aligner.isBlocked(0), 'what follows the barrier waits in its channel');
  assert.equal(g.aligner.pendingCheckpoint, 1);
  assert.deepEqual(g.aligned, []);
  chs[1]!.receive(eventFrame(1, barrier(1)));
  assert.deepEqual(drain(g), ['1:barrier1', '0:a2 after the barrier']);
  assert.deepEqual(g.aligned, [1], 'aligned when the last barrier arrived');
  assert.equal(g.aligner.isBlocked(0), false, 'and every channel is released');
});

test('gate: AT_LEAST_ONCE blocks nothing and is aligned at the last barrier', () => {
  const chs = [channel(0), channel(1)];
  const g = new Gate(chs);
  chs[0]!.receive(eventFrame(0, barrier(1, 'AT_LEAST_ONCE')));
  chs[0]!.receive(dataFrame(0, ['a after']));
  assert.deepEqual(drain(g), ['0:barrier1', '0:a after']);
  assert.equal(g.aligner.isBlocked(0), false);
  chs[1]!.receive(eventFrame(1, barrier(1, 'AT_LEAST_ONCE')));
  drain(g);
  assert.deepEqual(g.aligned, [1]);
});

test('gate: an ended channel counts as aligned; end of partition is counted once per channel', () => {
  const chs = [channel(0), channel(1), channel(2)];
  const g = new Gate(chs);
  chs[0]!.receive(eventFrame(0, barrier(1)));
  chs[1]!.receive(eventFrame(1, { t: 'eop' }));
  chs[1]!.receive(eventFrame(1, { t: 'eop' }));
  assert.deepEqual(drain(g), ['0:barrier1', '1:eop', '1:eop']);
  assert.equal(g.open, 2, 'a repeated end of partition is not counted again');
  assert.ok(chs[1]!.ended);
  assert.deepEqual(g.aligned, []);
  chs[2]!.receive(eventFrame(2, { t: 'eop' }));
  drain(g);
  assert.deepEqual(g.aligned, [1], "the last open channel's end completes the alignment");
  assert.equal(g.open, 1);
});

test('gate: a newer barrier cancels the alignment under way; late and aborted barriers are ignored', () => {
  const chs = [channel(0), channel(1)];
  const g = new Gate(chs);
  chs[0]!.receive(eventFrame(0, barrier(1)));
  drain(g);
  assert.ok(g.aligner.isBlocked(0));
  g.aligner.abort(1);
  assert.equal(g.aligner.isBlocked(0), false, 'an abort releases the blocked channels');
  chs[1]!.receive(eventFrame(1, barrier(1)));
  drain(g);
  assert.deepEqual([g.aligned, g.cancelled], [[], []], 'a barrier of an aborted checkpoint is ignored');
  chs[0]!.receive(eventFrame(0, barrier(2)));
  chs[0]!.receive(dataFrame(0, ['x']));
  chs[1]!.receive(dataFrame(1, ['y']));
  chs[1]!.receive(eventFrame(1, barrier(3)));
  assert.deepEqual(drain(g), ['0:barrier2', '1:y', '1:barrier3', '0:x'], 'the cancelled alignment released channel 0');
  assert.deepEqual(g.cancelled, [2], 'barrier 3 overtook the alignment of 2');
  assert.ok(g.aligner.isBlocked(1));
  assert.equal(g.aligner.isBlocked(0), false);
  chs[0]!.receive(eventFrame(0, barrier(3)));
  assert.deepEqual(drain(g), ['0:barrier3']);
  assert.deepEqual(g.aligned, [3]);
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
