/**
 * Per-split watermarks inside a source (SourceWatermarks): the source's watermark is the minimum
 * over its splits' generators, a split idle for `withIdleness` is left out, and readers that use
 * only the main output see one generator as before. Driven with a manual processing-time clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_WATERMARK, WatermarkStrategy } from '../../src/api/time.js';
import type { OperatorContext, Output } from '../../src/runtime/operators/operator.js';
import { SourceWatermarks } from '../../src/runtime/operators/source-watermarks.js';
import { SplitOutputs } from '../../src/connectors/base/split-outputs.js';

interface Harness {
  wm: SourceWatermarks;
  events: string[];
  records: [unknown, number | undefined][];
  /** Moves processing time on and runs the periodic emit once. */
  tick(ms: number): void;
}

function harness(strategy: WatermarkStrategy<unknown>, runtimeMode: 'STREAMING' | 'BATCH' = 'STREAMING'): Harness {
  let now = 1_000_000;
  const events: string[] = [];
  const records: [unknown, number | undefined][] = [];
  const output: Output = {
    collect: (v, ts) => void records.push([v, ts]),
    collectSide: () => {},
    emitWatermark: (w) => void events.push(w === MAX_WATERMARK ? 'wm MAX' : `wm ${w}`),
    emitWatermarkStatus: (idle) => void events.push(idle ? 'idle' : 'active'),
  };
  const ctx = {
    output,
    runtimeMode,
    // The periodic emit is driven by tick() below.
    config: { 'pipeline.auto-watermark-interval': 0 },
    processingTimeService: { getCurrentProcessingTime: () => now, registerTimer: () => () => {} },
  } as unknown as OperatorContext;
  const wm = new SourceWatermarks(ctx, strategy);
  wm.open();
  return {
    wm,
    events,
    records,
    tick(ms) {
      now += ms;
      wm.periodicEmit();
    },
  };
}

test('the source watermark is the minimum over its splits', () => {
  const h = harness(WatermarkStrategy.forMonotonousTimestamps());
  const a = h.wm.createOutputForSplit('p-0');
  const b = h.wm.createOutputForSplit('p-1');
  a.collect('a1', 1000);
  a.collect('a2', 2000);
  h.tick(10);
  // p-1 has no records yet: it holds the watermark back.
  assert.deepEqual(h.events, []);
  b.collect('b1', 500);
  h.tick(10);
  assert.deepEqual(h.events, ['wm 499']);
  b.collect('b2', 3000);
  h.tick(10);
  assert.deepEqual(h.events, ['wm 499', 'wm 1999']);
  // Releasing the slower split lets the watermark follow the other.
  a.collect('a3', 2500);
  h.wm.releaseOutputForSplit('p-0');
  h.tick(10);
  assert.deepEqual(h.events, ['wm 499', 'wm 1999', 'wm 2999']);
  assert.equal(h.wm.count, 5);
  assert.deepEqual(
    h.records.map((r) => r[1]),
    [1000, 2000, 500, 3000, 2500],
  );
});

test('a split idle for withIdleness is left out; its next record brings it back', () => {
  const h = harness(WatermarkStrategy.forBoundedOutOfOrderness(100).withIdleness(1000));
  const a = h.wm.createOutputForSplit('p-0');
  h.wm.createOutputForSplit('p-1');
  a.collect('a1', 5000);
  h.tick(500);
  assert.deepEqual(h.events, []);
  a.collect('a2', 6000);
  h.tick(600);
  // p-1 saw nothing for 1100 ms: idle, so the watermark follows p-0 alone.
  assert.deepEqual(h.events, ['wm 5899']);
  h.tick(2000);
  // Both idle now: the source is idle.
  assert.deepEqual(h.events, ['wm 5899', 'idle']);
  a.collect('a3', 7000);
  h.tick(10);
  assert.deepEqual(h.events, ['wm 5899', 'idle', 'active', 'wm 6899']);
});

test('a reader using only its main output has one generator, idle after the timeout', () => {
  const h = harness(WatermarkStrategy.forMonotonousTimestamps<unknown>().withIdleness(1000));
  h.wm.collect('x', 100);
  h.tick(10);
  h.wm.collect('y', 50);
  h.tick(10);
  h.tick(2000);
  h.wm.emitMaxWatermark();
  assert.deepEqual(h.events, ['wm 99', 'idle', 'active', 'wm MAX']);
});

test('the timestamp assigner sees the reader timestamp; BATCH emits only MAX', () => {
  const h = harness(
    WatermarkStrategy.forMonotonousTimestamps<unknown>().withTimestampAssigner((_e, prev) => (prev ?? 0) + 1),
    'BATCH',
  );
  const a = h.wm.createOutputForSplit('s');
  a.collect('r', 41);
  h.tick(10);
  h.wm.emitMaxWatermark();
  assert.deepEqual(h.records, [['r', 42]]);
  assert.deepEqual(h.events, ['wm MAX']);
});

test('SplitOutputs creates outputs when splits are added and releases them when they finish', () => {
  const h = harness(WatermarkStrategy.forMonotonousTimestamps());
  const outputs = new SplitOutputs<unknown>();
  const created: string[] = [];
  const released: string[] = [];
  const reader = {
    collect: (r: unknown, ts?: number) => h.wm.collect(r, ts),
    createOutputForSplit: (id: string) => (created.push(id), h.wm.createOutputForSplit(id)),
    releaseOutputForSplit: (id: string) => (released.push(id), h.wm.releaseOutputForSplit(id)),
  };
  outputs.added('p-0');
  outputs.added('p-1');
  outputs.sync(reader);
  outputs.get('p-0', reader).collect('a', 10);
  outputs.finished('p-1');
  outputs.sync(reader);
  h.tick(10);
  assert.deepEqual(created, ['p-0', 'p-1']);
  assert.deepEqual(released, ['p-1']);
  assert.deepEqual(h.events, ['wm 9']);
  // A plain output (a test driving a reader) is used for every split.
  const plain: unknown[] = [];
  const o = new SplitOutputs<unknown>();
  o.added('x');
  const out = { collect: (r: unknown) => void plain.push(r) };
  o.sync(out);
  o.get('x', out).collect(1);
  assert.deepEqual(plain, [1]);
});
