/**
 * The trigger-driven window operator and the interval join operator in the operator harness: the
 * built-in triggers' exact firing (processing time, continuous event time, count on merging
 * sessions), late data and allowed lateness with a custom trigger, the refusals, and state cleanup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EventTimeSessionWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  type TimeWindow,
  type WindowAssigner,
} from '../../src/api/windows.js';
import { OutputTag } from '../../src/api/output-tag.js';
import type { Collector, ProcessWindowContext } from '../../src/api/functions.js';
import type { WindowFunctionSpec } from '../../src/api/transformation.js';
import { MAX_WATERMARK } from '../../src/api/time.js';
import { WeirError } from '../../src/errors.js';
import {
  ContinuousEventTimeTrigger,
  CountTrigger,
  DeltaTrigger,
  EventTimeTrigger,
  ProcessingTimeTrigger,
  PurgingTrigger,
  type Trigger,
} from '../../src/api/windowing/triggers.js';
import { GlobalWindows, type AnyWindowAssigner } from '../../src/api/windowing/window.js';
import { TriggerWindowOperator } from '../../src/runtime/operators/trigger-window-operator.js';
import { IntervalJoinOperator } from '../../src/runtime/operators/interval-join-operator.js';
import { OperatorHarness } from '../harness/operator-harness.js';

interface E {
  k: string;
  v: number;
}
const e = (k: string, v: number): E => ({ k, v });

const listing: WindowFunctionSpec = {
  kind: 'process',
  process: (key: string, ctx: ProcessWindowContext<TimeWindow>, elements: E[], out: Collector<string>) =>
    out.collect(`${key}:${ctx.window().start}-${ctx.window().end}:${elements.map((x) => x.v).join(',')}`),
};

function harness(
  assigner: AnyWindowAssigner | WindowAssigner,
  trigger: Trigger,
  opts: { allowedLateness?: number; lateDataTag?: OutputTag; fn?: WindowFunctionSpec } = {},
): OperatorHarness<TriggerWindowOperator> {
  return new OperatorHarness(
    (ctx) =>
      new TriggerWindowOperator(ctx, {
        type: 'window',
        assigner,
        allowedLateness: opts.allowedLateness ?? 0,
        lateDataTag: opts.lateDataTag,
        fn: opts.fn ?? listing,
        trigger,
      }),
    { keySelectors: [(v) => (v as E).k] },
  );
}

test('ProcessingTimeTrigger fires each processing-time window once its end passes, and its state goes with it', async () => {
  const h = await harness(TumblingProcessingTimeWindows.of(100), ProcessingTimeTrigger.create()).open();
  h.setProcessingTime(10);
  h.processElement(e('a', 1));
  h.processElement(e('b', 2));
  h.setProcessingTime(50);
  h.processElement(e('a', 3));
  assert.deepEqual(h.takeValues(), []);
  h.setProcessingTime(99);
  assert.deepEqual(h.takeValues().sort(), ['a:0-100:1,3', 'b:0-100:2']);
  h.setProcessingTime(150);
  h.processElement(e('a', 4));
  h.setProcessingTime(250);
  assert.deepEqual(h.takeValues(), ['a:100-200:4']);
  assert.equal(h.backend!.numEntries(), 0, 'no window state left');
});

test('ContinuousEventTimeTrigger fires every interval of event time and at the window end, as Flink', async () => {
  const h = await harness(TumblingEventTimeWindows.of(100), ContinuousEventTimeTrigger.of(10)).open();
  for (const ts of [1, 5, 12]) h.processElement(e('a', ts), ts);
  h.processWatermark(10);
  assert.deepEqual(h.takeValues(), ['a:0-100:1,5,12'], 'the first fire at 10 (aligned to the interval)');
  h.processElement(e('a', 25), 25);
  h.processWatermark(29);
  assert.deepEqual(h.takeValues(), ['a:0-100:1,5,12,25'], 'the next at 20');
  h.processWatermark(99);
  const fires = h.takeValues();
  // 30, 40, ..., 90 (each registering the next within the same watermark) and the window's end at 99
  assert.deepEqual(
    fires,
    Array.from({ length: 8 }, () => 'a:0-100:1,5,12,25'),
  );
  h.processWatermark(MAX_WATERMARK);
  assert.deepEqual(h.takeValues(), []);
  assert.equal(h.backend!.numEntries(), 0, 'contents and fire-time state are cleared with the window');
});

test('CountTrigger on session windows merges its count when sessions merge (onMerge + mergePartitionedState)', async () => {
  const h = await harness(EventTimeSessionWindows.withGap(10), CountTrigger.of(3)).open();
  h.processElement(e('a', 1), 1);
  h.processElement(e('a', 20), 20);
  assert.deepEqual(h.takeValues(), [], 'two sessions of one element each');
  h.processElement(e('a', 10), 10);
  assert.deepEqual(h.takeValues(), ['a:1-30:1,20,10'], 'merged into one session of three: the merged count fires');
  h.processElement(e('a', 25), 25);
  h.processElement(e('a', 26), 26);
  assert.deepEqual(h.takeValues(), []);
  h.processElement(e('a', 27), 27);
  assert.deepEqual(h.takeValues(), ['a:1-37:1,20,10,25,26,27']);
});

test('a merging assigner with a trigger that cannot merge is refused', () => {
  assert.throws(
    () => harness(EventTimeSessionWindows.withGap(10), DeltaTrigger.of(1, (a: E, b: E) => b.v - a.v) as Trigger),
    (err: unknown) => err instanceof WeirError && err.code === 'WEIR_BAD_PIPELINE' && /does not support merging/.test(err.message),
  );
});

test('late data: skipped windows go to the late side output; within allowed lateness EventTimeTrigger fires again at once', async () => {
  const late = new OutputTag<E>('late');
  const h = await harness(TumblingEventTimeWindows.of(100), EventTimeTrigger.create(), { allowedLateness: 50, lateDataTag: late }).open();
  h.processElement(e('a', 1), 10);
  h.processWatermark(120);
  assert.deepEqual(h.takeValues(), ['a:0-100:1']);
  h.processElement(e('a', 2), 20);
  assert.deepEqual(h.takeValues(), ['a:0-100:1,2'], 'a late element within the lateness fires the window again');
  h.processWatermark(160);
  h.processElement(e('a', 3), 30);
  assert.deepEqual(h.takeValues(), []);
  assert.deepEqual(
    h.sideOutput(late).map((x) => x.value),
    [e('a', 3)],
  );
  assert.equal(h.backend!.numEntries(), 0);
});

test('GlobalWindows never fire without a trigger; PurgingTrigger(CountTrigger) fires and purges', async () => {
  const never = await harness(GlobalWindows.create(), GlobalWindows.create().getDefaultTrigger(), {
    fn: { kind: 'reduce', reduce: (a: E, b: E) => ({ k: a.k, v: a.v + b.v }) },
  }).open();
  for (let i = 0; i < 10; i++) never.processElement(e('a', i));
  never.processWatermark(MAX_WATERMARK);
  assert.deepEqual(never.takeValues(), []);
  const purging = await harness(GlobalWindows.create(), PurgingTrigger.of(CountTrigger.of(2))).open();
  for (let i = 1; i <= 5; i++) purging.processElement(e('a', i));
  assert.deepEqual(purging.takeValues(), ['a:undefined-undefined:1,2', 'a:undefined-undefined:3,4']);
});

test('interval join: pairs within the bounds, exclusive bounds, late elements to the side outputs, buffers cleaned up by the watermark', async () => {
  const leftLate = new OutputTag<E>('left-late');
  const h = await new OperatorHarness(
    (ctx) =>
      new IntervalJoinOperator(ctx, {
        type: 'intervalJoin',
        lowerBound: -2 + 1, // between(-2, 3).lowerBoundExclusive()
        upperBound: 3,
        leftLateTag: leftLate,
        fn: (l: E, r: E, ctx: { getTimestamp(): number }, out: Collector<string>) => out.collect(`${l.v}-${r.v}@${ctx.getTimestamp()}`),
      }),
    { keySelectors: [(v) => (v as E).k, (v) => (v as E).k] },
  ).open();
  h.processElement(e('a', 10), 10, 0);
  h.processElement(e('a', 8), 8, 1); // 8 - 10 = -2: excluded
  h.processElement(e('a', 9), 9, 1); // -1
  h.processElement(e('a', 13), 13, 1); // +3: included
  h.processElement(e('a', 14), 14, 1); // +4: out
  h.processElement(e('b', 11), 11, 1); // another key
  assert.deepEqual(h.values(), ['10-9@10', '10-13@13']);
  h.processWatermark(20, 0);
  h.processWatermark(20, 1);
  h.processElement(e('a', 5), 5, 0);
  assert.deepEqual(
    h.sideOutput(leftLate).map((x) => x.value),
    [e('a', 5)],
  );
  assert.equal(h.backend!.numEntries(), 0, 'both buffers are empty once the watermark passed every bound');
});

test('DynamicProcessingTimeSessionWindows: each element brings its own gap; sessions merge and fire at processing time', async () => {
  const { DynamicProcessingTimeSessionWindows } = await import('../../src/api/windowing/window.js');
  const assigner = DynamicProcessingTimeSessionWindows.withDynamicGap<E>((x) => x.v);
  const h = await harness(assigner, assigner.getDefaultTrigger()).open();
  h.setProcessingTime(0);
  h.processElement(e('a', 10)); // [0, 10)
  h.setProcessingTime(8);
  h.processElement(e('a', 30)); // [8, 38): merges
  h.setProcessingTime(20);
  assert.deepEqual(h.takeValues(), []);
  h.setProcessingTime(40);
  assert.deepEqual(h.takeValues(), ['a:0-38:10,30']);
  assert.throws(
    () => h.processElement(e('a', 0)),
    (err: unknown) => err instanceof WeirError && /session time gap must be a positive/i.test(err.message),
  );
});

test('a trigger written as a plain object (no Trigger base class) works on non-merging windows', async () => {
  const { TriggerResult } = await import('../../src/api/windowing/triggers.js');
  const everyOther = {
    onElement: (x: E) => (x.v % 2 === 0 ? TriggerResult.FIRE_AND_PURGE : TriggerResult.CONTINUE),
    onEventTime: () => TriggerResult.CONTINUE,
    onProcessingTime: () => TriggerResult.CONTINUE,
    clear: () => {},
  } as unknown as Trigger;
  const h = await harness(GlobalWindows.create(), everyOther).open();
  for (let i = 1; i <= 4; i++) h.processElement(e('a', i));
  assert.deepEqual(h.takeValues(), ['a:undefined-undefined:1,2', 'a:undefined-undefined:3,4']);
  assert.throws(
    () => harness(EventTimeSessionWindows.withGap(5), everyOther),
    (err: unknown) => err instanceof WeirError && err.code === 'WEIR_BAD_PIPELINE',
  );
});

test('an evicting window aggregates over the elements left after eviction (Flink AggregateApplyWindowFunction)', async () => {
  const { CountEvictor } = await import('../../src/api/windowing/evictors.js');
  const h = new OperatorHarness(
    (ctx) =>
      new TriggerWindowOperator(ctx, {
        type: 'window',
        assigner: GlobalWindows.create(),
        allowedLateness: 0,
        lateDataTag: undefined,
        fn: {
          kind: 'aggregate',
          aggregate: {
            createAccumulator: () => [0, 0],
            add: (x: E, acc: number[]) => [acc[0]! + x.v, acc[1]! + 1],
            getResult: (acc: number[]) => acc[0]! / acc[1]!,
            merge: (a: number[], b: number[]) => [a[0]! + b[0]!, a[1]! + b[1]!],
          },
        },
        trigger: CountTrigger.of(2),
        evictor: CountEvictor.of(3),
      }),
    { keySelectors: [(v) => (v as E).k] },
  );
  await h.open();
  for (const v of [1, 2, 3, 4, 5, 6]) h.processElement(e('a', v));
  // fires after 2, 4 and 6 elements over the last 3: [1,2], [2,3,4], [4,5,6]
  assert.deepEqual(h.takeValues(), [1.5, 3, 5]);
});

test('the default window operator offers windowState()/globalState() too, and clears per-window state with the window', async () => {
  const { WindowOperator } = await import('../../src/runtime/operators/window-operator.js');
  const { ValueStateDescriptor } = await import('../../src/api/state.js');
  const fires = new ValueStateDescriptor<number>('fires');
  const total = new ValueStateDescriptor<number>('total');
  let cleared = 0;
  const fn = {
    process(key: string, ctx: ProcessWindowContext<TimeWindow>, els: E[], out: Collector<string>) {
      const w = ctx.windowState().getState(fires);
      w.update((w.value() ?? 0) + 1);
      const g = ctx.globalState().getState(total);
      g.update((g.value() ?? 0) + 1);
      out.collect(`${key}:${ctx.window().start}:${els.length}:${w.value()}:${g.value()}`);
    },
    clear(ctx: ProcessWindowContext<TimeWindow>) {
      cleared++;
      ctx.windowState().getState(fires).clear();
    },
  };
  const h = await new OperatorHarness(
    (ctx) =>
      new WindowOperator(ctx, {
        type: 'window',
        assigner: TumblingEventTimeWindows.of(100),
        allowedLateness: 50,
        lateDataTag: undefined,
        fn: { kind: 'process', process: fn },
      }),
    { keySelectors: [(v) => (v as E).k] },
  ).open();
  h.processElement(e('a', 1), 10);
  h.processWatermark(100);
  h.processElement(e('a', 2), 20); // late, within the lateness: fires again
  h.processElement(e('a', 3), 120);
  h.processWatermark(MAX_WATERMARK);
  assert.deepEqual(h.takeValues(), ['a:0:1:1:1', 'a:0:2:2:2', 'a:100:1:1:3']);
  assert.equal(cleared, 2, 'clear(context) once per window');
  assert.equal(h.backend!.numEntries(), 1, 'only the global state of the key is left: window contents and per-window state are gone');
});
