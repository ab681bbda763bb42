import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EventTimeSessionWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  type TimeWindow,
  type WindowAssigner,
} from '../../src/api/windows.js';
import type { AggregateFunction, Collector, ProcessWindowContext } from '../../src/api/functions.js';
import { OutputTag } from '../../src/api/output-tag.js';
import type { OperatorSpec, WindowFunctionSpec } from '../../src/api/transformation.js';
import { MAX_WATERMARK } from '../../src/api/time.js';
import { SliceAssigner } from '../../src/runtime/operators/slice-assigner.js';
import { SlicedWindowOperator, sliceAssignerFor } from '../../src/runtime/operators/sliced-window-operator.js';
import { WindowOperator } from '../../src/runtime/operators/window-operator.js';
import type { StreamOperator } from '../../src/runtime/operators/operator.js';
import { OperatorHarness, type TimestampedValue } from '../harness/operator-harness.js';

interface E {
  k: string;
  v: number;
}
type Acc = { s: number; n: number };
const avg: AggregateFunction<E, Acc, string> = {
  createAccumulator: () => ({ s: 0, n: 0 }),
  add: (x, a) => {
    a.s += x.v;
    a.n++;
    return a;
  },
  getResult: (a) => `${a.s}/${a.n}`,
  // changes its first argument, as Flink allows
  merge: (a, b) => {
    a.s += b.s;
    a.n += b.n;
    return a;
  },
};
const withWindow = (key: string, ctx: ProcessWindowContext<TimeWindow>, r: string[], out: Collector<string>): void =>
  out.collect(`${key}@${ctx.window().start}-${ctx.window().end}=${r[0]}`);
const fnSpec: WindowFunctionSpec = {
  kind: 'aggregate',
  aggregate: avg as AggregateFunction<unknown, unknown, unknown>,
  process: withWindow,
};

function spec(assigner: WindowAssigner, late?: OutputTag): Extract<OperatorSpec, { type: 'window' }> {
  return { type: 'window', assigner, allowedLateness: 0, lateDataTag: late, fn: fnSpec };
}

function harness(sliced: boolean, assigner: WindowAssigner, late?: OutputTag): OperatorHarness<StreamOperator> {
  return new OperatorHarness<StreamOperator>(
    (ctx) =>
      sliced
        ? new SlicedWindowOperator(ctx, spec(assigner, late), sliceAssignerFor(spec(assigner))!)
        : new WindowOperator(ctx, spec(assigner, late)),
    { keySelectors: [(v) => (v as E).k] },
  );
}

const sorted = (rs: TimestampedValue[]): string[] => rs.map((r) => `${r.timestamp}|${String(r.value)}`).sort();

/** Deterministic pseudo-random input: out-of-order timestamps, late records, watermarks every few records. */
function* input(seed: number, n: number): Generator<{ e: E; ts: number } | { wm: number }> {
  let x = seed;
  const rnd = (m: number): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % m;
  };
  let time = 0;
  for (let i = 0; i < n; i++) {
    time += rnd(3);
    yield { e: { k: `k${rnd(5)}`, v: rnd(100) }, ts: time - rnd(15) };
    if (rnd(4) === 0) yield { wm: time - 6 };
  }
  yield { wm: MAX_WATERMARK };
}

test('SliceAssigner: slices of gcd(size, slide), first and last window of a slice, the first window still to fire', () => {
  const t = new SliceAssigner(10, 10, 0);
  assert.equal(t.sliceSize, 10);
  assert.equal(t.slicesPerWindow, 1);
  assert.equal(t.sliceStart(27), 20);
  assert.equal(t.sliceStart(-3), -10);
  assert.equal(t.firstWindowEnd(20), 30);
  assert.equal(t.lastWindowEnd(20), 30);

  const s = new SliceAssigner(10, 4, 1); // windows [1+4k, 11+4k), slices of 2 from offset 1
  assert.equal(s.sliceSize, 2);
  assert.equal(s.slicesPerWindow, 5);
  assert.equal(s.expiringPerWindow, 2);
  assert.equal(s.sliceStart(8), 7);
  // slice [7,9) is in windows [-3,7)? no: [1,11) and [5,15) — ends 11 and 15
  assert.equal(s.firstWindowEnd(7), 11);
  assert.equal(s.lastWindowEnd(7), 15);
  assert.equal(s.firstWindowEndAfter(10), 15); // [1,11) fired at watermark 10
  assert.equal(s.firstWindowEndAfter(9), 11);

  assert.ok(SliceAssigner.of(SlidingEventTimeWindows.of(10, 20)) === undefined, 'windows with gaps are not slices');
  assert.ok(SliceAssigner.of(EventTimeSessionWindows.withGap(10)) === undefined);
  assert.equal(sliceAssignerFor(spec(SlidingProcessingTimeWindows.of(10, 5))), undefined, 'processing time takes the general operator');
  assert.equal(sliceAssignerFor({ ...spec(TumblingEventTimeWindows.of(10)), allowedLateness: 5 }), undefined);
  assert.equal(
    sliceAssignerFor({ ...spec(SlidingEventTimeWindows.of(10, 5)), fn: { kind: 'reduce', reduce: (a: unknown) => a } }),
    undefined,
  );
  assert.ok(sliceAssignerFor({ ...spec(TumblingEventTimeWindows.of(10)), fn: { kind: 'reduce', reduce: (a: unknown) => a } }));
});

for (const [name, assigner] of [
  ['tumbling 10', TumblingEventTimeWindows.of(10)],
  ['sliding 10/4 offset 1', SlidingEventTimeWindows.of(10, 4, 1)],
  ['sliding 12/3', SlidingEventTimeWindows.of(12, 3)],
] as const) {
  test(`sliced windows give the results of per-window state (${name}), late records alike, and leave no state`, async () => {
    const late = new OutputTag<E>('late');
    const general = await harness(false, assigner, late).open();
    const sliced = await harness(true, assigner, late).open();
    for (const x of input(7, 3000)) {
      for (const h of [general, sliced]) {
        if ('wm' in x) h.processWatermark(x.wm);
        else h.processElement(x.e, x.ts);
      }
    }
    const expected = sorted(general.records());
    assert.ok(expected.length > 100);
    assert.deepEqual(sorted(sliced.records()), expected);
    assert.deepEqual(sorted(sliced.sideOutput(late)), sorted(general.sideOutput(late)));
    assert.equal(sliced.backend!.numEntries(), 0, 'no slice left');
    assert.equal(sliced.timerServiceManager!.numEventTimeTimers(), 0, 'no timer left');
  });
}

test('a snapshot of per-window state (the general operator) restores into sliced windows with the same results', async () => {
  const assigner = SlidingEventTimeWindows.of(10, 5);
  const events = [...input(11, 1000)];
  const half = events.length >> 1;
  const reference = await harness(false, assigner).open();
  for (const x of events) {
    if ('wm' in x) reference.processWatermark(x.wm);
    else reference.processElement(x.e, x.ts);
  }
  const before = await harness(false, assigner).open();
  for (const x of events.slice(0, half)) {
    if ('wm' in x) before.processWatermark(x.wm);
    else before.processElement(x.e, x.ts);
  }
  const after = harness(true, assigner);
  after.backend!.restore(before.backend!.canonicalSnapshot());
  after.timerServiceManager!.restore(before.timerServiceManager!.snapshot());
  await after.open();
  let wm = Number.NEGATIVE_INFINITY;
  for (const x of events.slice(0, half)) if ('wm' in x) wm = Math.max(wm, x.wm);
  after.processWatermark(wm);
  for (const x of events.slice(half)) {
    if ('wm' in x) after.processWatermark(x.wm);
    else after.processElement(x.e, x.ts);
  }
  assert.deepEqual(sorted([...before.records(), ...after.records()]), sorted(reference.records()));
  assert.equal(after.backend!.numEntries(), 0);
});
