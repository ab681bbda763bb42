import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  type TimeWindow,
  type WindowAssigner,
} from '../../src/api/windows.js';
import { OutputTag } from '../../src/api/output-tag.js';
import {
  ProcessWindowFunction,
  type AggregateFunction,
  type Collector,
  type ProcessWindowContext,
  type RuntimeContext,
} from '../../src/api/functions.js';
import type { WindowFunctionSpec } from '../../src/api/transformation.js';
import { MAX_WATERMARK } from '../../src/api/time.js';
import { WeirError } from '../../src/errors.js';
import { WindowOperator } from '../../src/runtime/operators/window-operator.js';
import type { RuntimeMode } from '../../src/runtime/operators/operator.js';
import { OperatorHarness } from '../harness/operator-harness.js';

interface E {
  k: string;
  v: number;
}
const e = (k: string, v: number): E => ({ k, v });

function harness(
  assigner: WindowAssigner,
  fn: WindowFunctionSpec,
  opts: { allowedLateness?: number; lateDataTag?: OutputTag; runtimeMode?: RuntimeMode } = {},
): OperatorHarness<WindowOperator> {
  return new OperatorHarness(
    (ctx) =>
      new WindowOperator(ctx, {
        type: 'window',
        assigner,
        allowedLateness: opts.allowedLateness ?? 0,
        lateDataTag: opts.lateDataTag,
        fn,
      }),
    { keySelectors: [(v) => (v as E).k], runtimeMode: opts.runtimeMode ?? 'STREAMING' },
  );
}

const sumReduce: WindowFunctionSpec = { kind: 'reduce', reduce: (a: E, b: E): E => ({ k: a.k, v: a.v + b.v }) };

/** Lists each window's elements as "key:start-end:v1,v2". */
const listing: WindowFunctionSpec = {
  kind: 'process',
  process: (key: string, ctx: ProcessWindowContext<TimeWindow>, elements: E[], out: Collector<string>) =>
    out.collect(`${key}:${ctx.window().start}-${ctx.window().end}:${elements.map((x) => x.v).join(',')}`),
};

function assertClean(h: OperatorHarness<WindowOperator>): void {
  assert.equal(h.backend!.numEntries(), 0, 'no window state left');
  assert.equal(h.timerServiceManager!.numEventTimeTimers(), 0, 'no event timers left');
  assert.equal(h.timerServiceManager!.numProcessingTimeTimers(), 0, 'no processing timers left');
}

test('tumbling event-time windows with reduce: fire on the watermark, in timer order, then forward it', async () => {
  const h = await harness(TumblingEventTimeWindows.of(10), sumReduce).open();
  h.processElement(e('a', 1), 1);
  h.processElement(e('a', 2), 5);
  h.processElement(e('b', 10), 7);
  h.processElement(e('a', 3), 12);
  h.processWatermark(8);
  assert.deepEqual(h.take(), [{ kind: 'watermark', watermark: 8 }]);
  h.processWatermark(9);
  assert.deepEqual(h.take(), [
    { kind: 'record', value: e('a', 3), timestamp: 9 },
    { kind: 'record', value: e('b', 10), timestamp: 9 },
    { kind: 'watermark', watermark: 9 },
  ]);
  h.processWatermark(9); // not an advance: nothing
  assert.deepEqual(h.take(), []);
  h.processWatermark(20);
  assert.deepEqual(h.take(), [
    { kind: 'record', value: e('a', 3), timestamp: 19 },
    { kind: 'watermark', watermark: 20 },
  ]);
  assertClean(h);
  await h.endAll();
});

test('sliding event-time windows with a process function, side output and watermark in the context', async () => {
  const tag = new OutputTag<string>('info');
  const h = await harness(SlidingEventTimeWindows.of(10, 5), {
    kind: 'process',
    process: (key: string, ctx: ProcessWindowContext<TimeWindow>, elements: E[], out: Collector<string>) => {
      out.collect(`${key}:${ctx.window().start}-${ctx.window().end}:${elements.map((x) => x.v).join(',')}`);
      ctx.output(tag, `wm=${ctx.currentWatermark()}`);
    },
  }).open();
  h.processElement(e('a', 1), 3); // [0,10) [-5,5)
  h.processElement(e('a', 2), 7); // [5,15) [0,10)
  h.processElement(e('a', 3), 12); // [10,20) [5,15)
  h.processWatermark(100);
  assert.deepEqual(h.records(), [
    { value: 'a:-5-5:1', timestamp: 4 },
    { value: 'a:0-10:1,2', timestamp: 9 },
    { value: 'a:5-15:2,3', timestamp: 14 },
    { value: 'a:10-20:3', timestamp: 19 },
  ]);
  assert.deepEqual(h.sideOutput(tag), [
    { value: 'wm=100', timestamp: 4 },
    { value: 'wm=100', timestamp: 9 },
    { value: 'wm=100', timestamp: 14 },
    { value: 'wm=100', timestamp: 19 },
  ]);
  assertClean(h);
});

test('event-time session windows merge, and their state and timers follow the merge', async () => {
  const h = await harness(EventTimeSessionWindows.withGap(10), listing).open();
  h.processElement(e('a', 1), 1); // [1,11)
  h.processElement(e('b', 10), 2); // b: [2,12)
  h.processElement(e('a', 2), 5); // [5,15) -> [1,15)
  h.processElement(e('a', 4), 14); // [14,24) -> [1,24)
  h.processElement(e('a', 3), 30); // [30,40)
  h.processWatermark(14); // a's timer (at 10, its first window's end) moved to the session's end when it fired
  assert.deepEqual(h.records(), [{ value: 'b:2-12:10', timestamp: 11 }]);
  h.take();
  h.processWatermark(22);
  assert.deepEqual(h.values(), []);
  h.processWatermark(23);
  assert.deepEqual(h.records(), [{ value: 'a:1-24:1,2,4', timestamp: 23 }]);
  h.take();
  h.processWatermark(100);
  assert.deepEqual(h.records(), [{ value: 'a:30-40:3', timestamp: 39 }]);
  assertClean(h);
});

test("a session keeps one timer under its state window, registered when it opens and moved to its end only when it fires; timers of the earlier layout (the session's own extent, at its end) still fire", async () => {
  const h = await harness(EventTimeSessionWindows.withGap(10), listing).open();
  h.processElement(e('a', 1), 1); // [1,11): its state window
  h.processElement(e('a', 2), 5); // [1,15), state still in [1,11)
  h.processElement(e('a', 3), 8); // [1,18)
  const snap = h.timerServiceManager!.snapshot();
  const timers = snap.services.flatMap((s) => s.eventTime);
  // one timer for the session, under the namespace of its first window, at that window's end
  assert.deepEqual(
    timers.map(([, key, ns, nsKey, ts]) => [key, ns, nsKey, ts]),
    [['a', '1:11', '1:11', 10]],
  );

  // restored from copies, as from a checkpoint (the merging window set is changed in place)
  const restored = async (timerSnapshot: typeof snap): Promise<OperatorHarness<WindowOperator>> => {
    const g = await harness(EventTimeSessionWindows.withGap(10), listing).open();
    g.backend!.restore(structuredClone(h.backend!.canonicalSnapshot()));
    g.timerServiceManager!.restore(structuredClone(timerSnapshot));
    return g;
  };
  const g = await restored(snap);
  g.processElement(e('b', 9), 3); // another key's session meanwhile: [3,13)
  g.processWatermark(10); // a's timer fires before a's end: it moves there
  assert.deepEqual(g.values(), []);
  assert.equal(g.timerServiceManager!.numEventTimeTimers(), 2);
  g.processWatermark(16);
  assert.deepEqual(g.records(), [{ value: 'b:3-13:9', timestamp: 12 }]);
  g.take();
  g.processWatermark(17);
  assert.deepEqual(g.records(), [{ value: 'a:1-18:1,2,3', timestamp: 17 }]);
  assertClean(g);

  // the earlier layout: the timer under the session's own extent, at its end; then the session grows
  for (const t of timers) {
    t[2] = '1:18';
    t[3] = '1:18';
    t[4] = 17;
  }
  const k = await restored(snap);
  k.processElement(e('a', 4), 12); // [1,22)
  k.processWatermark(17);
  assert.deepEqual(k.values(), []);
  k.processWatermark(100);
  assert.deepEqual(k.records(), [{ value: 'a:1-22:1,2,3,4', timestamp: 21 }]);
  assertClean(k);
});

test('a session element that bridges two sessions merges all three windows', async () => {
  const h = await harness(EventTimeSessionWindows.withGap(10), listing).open();
  h.processElement(e('a', 1), 1); // [1,11)
  h.processElement(e('a', 20), 20); // [20,30)
  h.processElement(e('a', 10), 10); // [10,20) touches both -> [1,30); state of [1,11) gets [20,30)'s, then 10
  h.processWatermark(25);
  assert.deepEqual(h.values(), []);
  h.processWatermark(29);
  assert.deepEqual(h.records(), [{ value: 'a:1-30:1,20,10', timestamp: 29 }]);
  assertClean(h);
});

test('session windows with reduce and with aggregate merge their partial results', async () => {
  const h = await harness(EventTimeSessionWindows.withGap(5), sumReduce).open();
  for (const [v, t] of [
    [1, 0],
    [2, 3],
    [4, 20],
    [8, 6],
  ] as const)
    h.processElement(e('k', v), t);
  // [0,5)+[3,8)+[6,11) -> [0,11): 1+2+8; [20,25): 4
  h.processWatermark(MAX_WATERMARK);
  assert.deepEqual(h.records(), [
    { value: e('k', 11), timestamp: 10 },
    { value: e('k', 4), timestamp: 24 },
  ]);
  assertClean(h);

  const count: AggregateFunction<E, number, number> = {
    createAccumulator: () => 0,
    add: (_x, a) => a + 1,
    getResult: (a) => a,
    merge: (a, b) => a + b,
  };
  const g = await harness(EventTimeSessionWindows.withGap(5), {
    kind: 'aggregate',
    aggregate: count as AggregateFunction<unknown, unknown, unknown>,
  }).open();
  for (const t of [0, 2, 9, 4, 30]) g.processElement(e('k', 0), t); // [0,14) holds 0,2,9,4 once 4 bridges [0,7) and [9,14)
  g.processWatermark(MAX_WATERMARK);
  assert.deepEqual(g.records(), [
    { value: 4, timestamp: 13 },
    { value: 1, timestamp: 34 },
  ]);
  assertClean(g);
});

test('processing-time tumbling windows fire from the processing-time service', async () => {
  const h = await harness(TumblingProcessingTimeWindows.of(10), sumReduce).open();
  h.setProcessingTime(3);
  h.processElement(e('a', 1));
  h.processElement(e('b', 2));
  h.setProcessingTime(7);
  h.processElement(e('a', 3));
  h.setProcessingTime(8);
  assert.deepEqual(h.values(), []);
  h.setProcessingTime(12); // [0,10) fires at 9
  h.processElement(e('a', 100));
  assert.deepEqual(h.records(), [
    { value: e('a', 4), timestamp: 9 },
    { value: e('b', 2), timestamp: 9 },
  ]);
  h.take();
  h.processWatermark(1_000_000); // watermarks do not fire processing-time windows
  assert.deepEqual(h.take(), [{ kind: 'watermark', watermark: 1_000_000 }]);
  h.setProcessingTime(25);
  assert.deepEqual(h.records(), [{ value: e('a', 100), timestamp: 19 }]);
  assertClean(h);
});

test('processing-time session windows', async () => {
  const h = await harness(ProcessingTimeSessionWindows.withGap(10), listing).open();
  h.setProcessingTime(0);
  h.processElement(e('a', 1)); // [0,10)
  h.setProcessingTime(5);
  h.processElement(e('a', 2)); // [5,15) -> [0,15)
  h.setProcessingTime(9); // the [0,10) timer was moved to 14
  assert.deepEqual(h.values(), []);
  h.setProcessingTime(14);
  assert.deepEqual(h.records(), [{ value: 'a:0-15:1,2', timestamp: 14 }]);
  assertClean(h);
});

test('allowed lateness: late elements re-fire the window until the cleanup time, then are dropped', async () => {
  const h = await harness(TumblingEventTimeWindows.of(10), sumReduce, { allowedLateness: 5 }).open();
  h.processElement(e('a', 1), 1);
  h.processElement(e('a', 2), 3);
  h.processWatermark(9);
  assert.deepEqual(h.takeValues(), [e('a', 3)]);
  h.processElement(e('a', 4), 4); // within lateness: fires at once with the updated sum
  assert.deepEqual(h.records(), [{ value: e('a', 7), timestamp: 9 }]);
  h.take();
  h.processWatermark(13);
  assert.deepEqual(h.takeValues(), []);
  h.processElement(e('a', 8), 2);
  assert.deepEqual(h.takeValues(), [e('a', 15)]);
  h.processWatermark(14); // cleanup timer at 9 + 5
  assert.deepEqual(h.takeValues(), []);
  assertClean(h);
  h.processElement(e('a', 16), 5); // window [0,10) is gone for good
  assert.deepEqual(h.takeValues(), []);
  assert.equal(h.operator.numLateRecordsDropped, 1);
  assertClean(h);
});

test('late elements go to the late side output when one is set', async () => {
  const late = new OutputTag<E>('late');
  const h = await harness(TumblingEventTimeWindows.of(10), sumReduce, { lateDataTag: late }).open();
  h.processElement(e('a', 1), 1);
  h.processWatermark(10);
  h.processElement(e('a', 2), 5);
  h.processElement(e('b', 3), 9);
  assert.deepEqual(h.values(), [e('a', 1)]);
  assert.deepEqual(h.sideOutput(late), [
    { value: e('a', 2), timestamp: 5 },
    { value: e('b', 3), timestamp: 9 },
  ]);
  assert.equal(h.operator.numLateRecordsDropped, 0);
  assertClean(h);
});

test('an element late for some of its sliding windows only goes to the others', async () => {
  const late = new OutputTag<E>('late');
  const h = await harness(SlidingEventTimeWindows.of(10, 5), listing, { lateDataTag: late }).open();
  h.processWatermark(10);
  h.processElement(e('a', 1), 8); // [0,10) is late, [5,15) is not
  h.processWatermark(100);
  assert.deepEqual(h.values(), ['a:5-15:1']);
  assert.deepEqual(h.sideOutput(late), []);
  assert.equal(h.operator.numLateRecordsDropped, 0);
});

test('aggregate, aggregate + process, reduce + process', async () => {
  const avg: AggregateFunction<E, { s: number; n: number }, number> = {
    createAccumulator: () => ({ s: 0, n: 0 }),
    add: (x, a) => {
      a.s += x.v;
      a.n++;
      return a;
    },
    getResult: (a) => a.s / a.n,
    merge: (a, b) => ({ s: a.s + b.s, n: a.n + b.n }),
  };
  const input: [E, number][] = [
    [e('a', 1), 1],
    [e('a', 2), 2],
    [e('b', 6), 3],
    [e('a', 6), 11],
  ];
  const agg = avg as AggregateFunction<unknown, unknown, unknown>;

  const h1 = await harness(TumblingEventTimeWindows.of(10), { kind: 'aggregate', aggregate: agg }).open();
  for (const [v, t] of input) h1.processElement(v, t);
  h1.processWatermark(MAX_WATERMARK);
  assert.deepEqual(h1.records(), [
    { value: 1.5, timestamp: 9 },
    { value: 6, timestamp: 9 },
    { value: 6, timestamp: 19 },
  ]);
  assertClean(h1);

  const seen: unknown[][] = [];
  const describe = (key: string, ctx: ProcessWindowContext<TimeWindow>, elements: unknown[], out: Collector<string>): void => {
    seen.push(elements);
    out.collect(`${key}@${ctx.window().start}=${JSON.stringify(elements[0])}`);
  };
  const h2 = await harness(TumblingEventTimeWindows.of(10), { kind: 'aggregate', aggregate: agg, process: describe }).open();
  for (const [v, t] of input) h2.processElement(v, t);
  h2.processWatermark(MAX_WATERMARK);
  assert.deepEqual(h2.values(), ['a@0=1.5', 'b@0=6', 'a@10=6']);
  assert.deepEqual(seen, [[1.5], [6], [6]]);

  const h3 = await harness(TumblingEventTimeWindows.of(10), { ...sumReduce, process: describe }).open();
  for (const [v, t] of input) h3.processElement(v, t);
  h3.processWatermark(MAX_WATERMARK);
  assert.deepEqual(h3.records(), [
    { value: 'a@0={"k":"a","v":3}', timestamp: 9 },
    { value: 'b@0={"k":"b","v":6}', timestamp: 9 },
    { value: 'a@10={"k":"a","v":6}', timestamp: 19 },
  ]);
  assertClean(h3);
});

test('rich window functions are opened and closed; ProcessWindowFunction classes work', async () => {
  const calls: string[] = [];
  class Counting extends ProcessWindowFunction<E, string, string> {
    override open(ctx: RuntimeContext): void {
      calls.push(`open ${ctx.getTaskName()}`);
    }
    process(key: string, ctx: ProcessWindowContext, elements: E[], out: Collector<string>): void {
      out.collect(`${key}:${elements.length}@${ctx.window().end}`);
    }
    override close(): void {
      calls.push('close');
    }
  }
  const agg = {
    createAccumulator: () => 0,
    add: (_v: unknown, a: number) => a + 1,
    getResult: (a: number) => a,
    merge: (a: number, b: number) => a + b,
    open: () => calls.push('agg open'),
    close: () => calls.push('agg close'),
  };
  const h = await harness(TumblingEventTimeWindows.of(10), { kind: 'process', process: new Counting() }).open();
  h.processElement(e('x', 0), 1);
  h.processElement(e('x', 0), 2);
  h.processWatermark(MAX_WATERMARK);
  await h.endAll();
  assert.deepEqual(h.values(), ['x:2@10']);
  const h2 = await harness(TumblingEventTimeWindows.of(10), {
    kind: 'aggregate',
    aggregate: agg as AggregateFunction<unknown, unknown, unknown>,
    process: new Counting(),
  }).open();
  h2.processElement(e('x', 0), 1);
  h2.processWatermark(MAX_WATERMARK);
  await h2.endAll();
  assert.deepEqual(h2.values(), ['x:1@10']);
  assert.deepEqual(calls, ['open test-operator', 'close', 'agg open', 'open test-operator', 'agg close', 'close']);
});

test('BATCH: finish() fires event-time and processing-time windows', async () => {
  const h = await harness(TumblingEventTimeWindows.of(10), sumReduce, { runtimeMode: 'BATCH' }).open();
  h.processElement(e('a', 1), 1);
  h.processElement(e('a', 2), 25);
  await h.endAll();
  assert.deepEqual(h.records(), [
    { value: e('a', 1), timestamp: 9 },
    { value: e('a', 2), timestamp: 29 },
  ]);
  assertClean(h);

  const p = await harness(TumblingProcessingTimeWindows.of(10), sumReduce, { runtimeMode: 'BATCH' }).open();
  p.processElement(e('a', 1));
  p.processElement(e('a', 2));
  await p.endAll();
  assert.deepEqual(p.records(), [{ value: e('a', 3), timestamp: 9 }]);
});

test('event-time windows reject records without a timestamp', async () => {
  const h = await harness(TumblingEventTimeWindows.of(10), sumReduce).open();
  assert.throws(
    () => h.processElement(e('a', 1)),
    (err: unknown) => err instanceof WeirError && err.code === 'WEIR_BAD_PIPELINE' && /assignTimestampsAndWatermarks/.test(err.message),
  );
});
