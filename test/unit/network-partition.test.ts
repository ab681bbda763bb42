/**
 * The result partition (credit registration, availability, in-thread batches by reference, events)
 * and the watermark valve.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIN_WATERMARK } from '../../src/api/time.js';
import { StreamExecutionEnvironment } from '../../src/api/environment.js';
import { setPipelineExecutorFactory, type Pipeline } from '../../src/api/execution-context.js';
import { buildJobGraph } from '../../src/graph/job-graph.js';
import { buildStreamGraph } from '../../src/graph/stream-graph.js';
import { BatchDecoder } from '../../src/runtime/network/buffer-codec.js';
import type { NetworkSettings } from '../../src/runtime/network/channel.js';
import { channelId } from '../../src/runtime/network/events.js';
import { ResultPartition } from '../../src/runtime/network/result-partition.js';
import { StatusWatermarkValve } from '../../src/runtime/network/watermark-valve.js';
import { SETTINGS, TestConnections, barrier } from '../helpers/network-fixtures.js';

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
