/**
 * In-thread exchanges: a subpartition whose consumer runs in its own thread hands batches of
 * records over by reference (order with events, credits and backpressure as for buffers), copies
 * each record when it is emitted unless object reuse is on, and ExecutionConfig's object reuse
 * reaches the tasks' settings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamExecutionEnvironment } from '../../src/api/environment.js';
import { registerType } from '../../src/api/type-registry.js';
import { resolveRuntimeSettings } from '../../src/runtime/jobmanager/job-result.js';
import { ConnectionManager } from '../../src/runtime/network/connection-manager.js';
import type { ChannelEvent, LocalFrame } from '../../src/runtime/network/events.js';
import { InputChannel, type InputItem } from '../../src/runtime/network/input-channel.js';
import { copyRecord } from '../../src/runtime/network/record-copier.js';
import { ResultSubpartition } from '../../src/runtime/network/result-subpartition.js';
import type { JobGraph } from '../../src/graph/job-graph.js';

/** Producer and consumer of one in-thread channel; frames reach the consumer when `deliver()` is called, credits at once. */
function wire(opts: { copy: boolean; initialCredit?: number; maxBacklog?: number; bufferSize?: number }) {
  const inFlight: LocalFrame[] = [];
  const sub = new ResultSubpartition(
    'ch',
    { send: (f) => inFlight.push(f) },
    opts.bufferSize ?? 32 * 1024,
    opts.maxBacklog ?? 1_000,
    () => {},
    { copy: opts.copy },
  );
  const channel = new InputChannel('ch', 0, { send: (f) => f.k === 'credit' && sub.addCredit(f.n) }, opts.initialCredit ?? 2, () => {});
  channel.open();
  /** Everything the consumer can take, as its task would (each batch taken returns a credit, which may send more). */
  const take = (): InputItem[] => {
    const out: InputItem[] = [];
    for (let round = 0; round < 1_000 && inFlight.length > 0; round++) {
      for (const f of inFlight.splice(0)) channel.receive(f);
      for (let item = channel.poll(); item !== undefined; item = channel.poll()) out.push(item);
    }
    return out;
  };
  return { sub, channel, inFlight, take };
}

const show = (items: InputItem[]): unknown[] =>
  items.flatMap((i) => (i.k === 'data' ? i.values.map((v, r) => `${JSON.stringify(v)}@${String(i.timestamps?.[r])}`) : [i.ev.t]));

test('in-thread channel: records and events arrive in emission order, with their timestamps, as batches by reference', () => {
  const { sub, inFlight, take } = wire({ copy: false });
  sub.add({ a: 1 }, 10);
  sub.add({ a: 2 }, undefined);
  sub.addEvent({ t: 'wm', v: 10 });
  sub.add({ a: 3 }, 11);
  sub.addEvent({ t: 'barrier', id: 1, timestamp: 0, mode: 'EXACTLY_ONCE' });
  sub.add('plain', undefined);
  sub.flush();
  sub.addEvent({ t: 'eop' });
  assert.ok(
    inFlight.every((f) => f.k !== 'data'),
    'no serialised buffer',
  );
  assert.deepEqual(show(take()), ['{"a":1}@10', '{"a":2}@undefined', 'wm', '{"a":3}@11', 'barrier', '"plain"@undefined', 'eop']);
  assert.equal(sub.bytesOut, 0, 'no bytes are counted for batches by reference');
  assert.equal(sub.buffersOut, 3);
  assert.ok(sub.drained);
});

test('in-thread channel: a batch closes at buffer-size / 32 records or on flush (buffer timeout)', () => {
  const { sub, inFlight } = wire({ copy: false, bufferSize: 32 * 8, initialCredit: 100 });
  for (let i = 0; i < 20; i++) sub.add(i, undefined);
  assert.deepEqual(
    inFlight.map((f) => (f.k === 'records' ? f.values.length : f.k)),
    [8, 8],
  );
  sub.flush();
  assert.deepEqual(
    inFlight.map((f) => (f.k === 'records' ? f.values.length : f.k)),
    [8, 8, 4],
  );
  sub.flush();
  assert.equal(inFlight.length, 3, 'an empty flush sends nothing');
});

test('in-thread channel: one credit per batch; the backlog bound makes the producer unavailable until credit returns', () => {
  const { sub, inFlight, channel } = wire({ copy: false, initialCredit: 1, maxBacklog: 2, bufferSize: 32 });
  sub.add('r1', undefined); // one record per batch at this buffer size
  assert.equal(inFlight.length, 1, 'the first batch leaves against the initial credit');
  sub.add('r2', undefined);
  sub.add('r3', undefined);
  assert.equal(sub.backlog, 2);
  assert.equal(sub.isAvailable(), false, 'backlog at max-buffers-per-channel: backpressure');
  sub.addEvent({ t: 'wm', v: 5 });
  assert.equal(inFlight.length, 1, 'events never overtake the batches waiting for credit');
  channel.receive(inFlight.shift()!);
  assert.equal(channel.poll()?.k, 'data');
  assert.equal(sub.backlog, 2, 'the credit sent r2; the watermark still waits behind r3');
  assert.equal(sub.isAvailable(), false);
  channel.receive(inFlight.shift()!);
  channel.poll();
  assert.equal(sub.backlog, 0, 'r3 and the watermark left');
  assert.ok(sub.isAvailable());
  assert.deepEqual(
    inFlight.map((f) => (f.k === 'records' ? f.values : f.k === 'event' ? (f.ev as ChannelEvent).t : f.k)),
    [['r3'], 'wm'],
  );
});

test('object reuse on: the consumer gets the very object emitted', () => {
  const { sub, take } = wire({ copy: false });
  const rec = { id: 1, nested: { xs: [1, 2] } };
  sub.add(rec, undefined);
  sub.flush();
  const [item] = take();
  assert.equal(item?.k === 'data' && item.values[0], rec);
});

test('object reuse off: each record is copied when emitted, so later changes by the producer do not reach the consumer', () => {
  const { sub, take } = wire({ copy: true });
  const rec = { id: 1, nested: { xs: [1, 2] }, when: new Date(5), m: new Map([['k', { v: 1 }]]), bytes: new Uint8Array([1, 2]) };
  sub.add(rec, undefined);
  rec.id = 2;
  rec.nested.xs.push(3);
  rec.when.setTime(6);
  rec.m.get('k')!.v = 2;
  rec.bytes[0] = 9;
  sub.flush();
  const [item] = take();
  assert.ok(item?.k === 'data');
  const got = item.values[0] as typeof rec;
  assert.notEqual(got, rec);
  assert.deepEqual(got, { id: 1, nested: { xs: [1, 2] }, when: new Date(5), m: new Map([['k', { v: 1 }]]), bytes: new Uint8Array([1, 2]) });
});

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
  norm(): number {
    return Math.abs(this.x) + Math.abs(this.y);
  }
}
class Unregistered {
  v = 1;
}

test('copies: registered class instances keep their class and methods (constructor not run); unregistered ones fail as serialisation does', () => {
  registerType(Point, 'InThreadPoint');
  const p = new Point(3, -4);
  const c = copyRecord({ p, list: [p] }) as { p: Point; list: Point[] };
  assert.ok(c.p instanceof Point);
  assert.notEqual(c.p, p);
  assert.equal(c.p.norm(), 7);
  assert.ok(c.list[0] instanceof Point && c.list[0] !== p);
  assert.equal(copyRecord('s'), 's');
  assert.equal(copyRecord(null), null);
  assert.throws(
    () => copyRecord({ u: new Unregistered() }),
    (e: Error & { code?: string }) => e.code === 'WEIR_UNREGISTERED_CLASS' && /registerType\(Unregistered\)/.test(e.message),
  );
});

test('a batch by reference cannot leave its thread', () => {
  const cm = new ConnectionManager('w0', () => {});
  assert.throws(
    () => cm.send('w1', { k: 'records', ch: 'c', values: [1], timestamps: null }),
    (e: Error & { code?: string }) => e.code === 'WEIR_INTERNAL' && /by reference/.test(e.message),
  );
});

test("ExecutionConfig.enableObjectReuse() sets pipeline.object-reuse, which the tasks' settings carry", () => {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  assert.equal(env.getConfig().isObjectReuseEnabled(), false, 'off by default, as in Flink');
  env.getConfig().enableObjectReuse();
  assert.equal(env.getConfig().isObjectReuseEnabled(), true);
  const jg = { type: 'STREAMING' } as JobGraph;
  assert.equal(resolveRuntimeSettings(jg, () => undefined).objectReuse, false);
  assert.equal(resolveRuntimeSettings(jg, () => undefined).inThreadByReference, true);
  assert.equal(resolveRuntimeSettings(jg, (k) => (k === 'pipeline.object-reuse' ? 'true' : undefined)).objectReuse, true);
  assert.equal(
    resolveRuntimeSettings(jg, (k) => (k === 'taskmanager.network.in-thread-by-reference' ? false : undefined)).inThreadByReference,
    false,
  );
  env.getConfig().disableObjectReuse();
  assert.equal(env.getConfig().isObjectReuseEnabled(), false);
});
