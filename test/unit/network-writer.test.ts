/**
 * The network layer's producer side and channels: the record writer (partitioners, batching), the result
 * subpartition (credit-based flow control) and the input channel.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignToKeyGroup, normalizeKey, operatorIndexForKeyGroup } from '../../src/graph/key-groups.js';
import { RecordWriter } from '../../src/runtime/network/record-writer.js';
import { Producer, wire, writer } from '../helpers/network-fixtures.js';

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
