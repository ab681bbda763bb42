import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KeyedCoProcessFunction,
  KeyedProcessFunction,
  type Collector,
  type KeyedProcessContext,
  type OnTimerContext,
  type ProcessContext,
  type RuntimeContext,
} from '../../src/api/functions.js';
import { OutputTag } from '../../src/api/output-tag.js';
import { ValueStateDescriptor, type ValueState } from '../../src/api/state.js';
import type { FieldAggregation } from '../../src/api/transformation.js';
import { WeirError } from '../../src/errors.js';
import {
  CoFlatMapOperator,
  CoMapOperator,
  CoProcessOperator,
  KeyedCoProcessOperator,
} from '../../src/runtime/operators/co-process-operator.js';
import { KeyedProcessOperator, ProcessOperator } from '../../src/runtime/operators/keyed-process-operator.js';
import { KeyedAggregationOperator, KeyedReduceOperator } from '../../src/runtime/operators/keyed-reduce-operator.js';
import type { RuntimeMode } from '../../src/runtime/operators/operator.js';
import { OperatorHarness } from '../harness/operator-harness.js';

interface E {
  k: string;
  v: number;
}
const e = (k: string, v: number): E => ({ k, v });
const byK = (x: unknown): unknown => (x as E).k;

const isStateAccess = (re: RegExp) => (err: unknown) =>
  err instanceof WeirError && err.code === 'WEIR_STATE_ACCESS' && re.test(err.message);

// ------------------------------------------------------------------ keyed process

class CountWithTimeout extends KeyedProcessFunction<string, E, string> {
  private count!: ValueState<number>;
  override open(ctx: RuntimeContext): void {
    this.count = ctx.getState(new ValueStateDescriptor<number>('count', 0));
  }
  processElement(value: E, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const c = this.count.value()! + 1;
    this.count.update(c);
    ctx.timerService().registerEventTimeTimer(ctx.timestamp()! + 10);
    out.collect(`${ctx.getCurrentKey()}:${c}`);
  }
  override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(`timer ${ctx.getCurrentKey()}@${ts} ${ctx.timeDomain()} ts=${ctx.timestamp()} count=${this.count.value()}`);
    this.count.clear();
  }
}

test('keyed process: ValueState per key and event-time timers; onTimer output carries the timer timestamp', async () => {
  const h = await new OperatorHarness((ctx) => new KeyedProcessOperator(ctx, { type: 'keyedProcess', fn: new CountWithTimeout() }), {
    keySelectors: [byK],
  }).open();
  h.processElement(e('a', 0), 1);
  h.processElement(e('b', 0), 2);
  h.processElement(e('a', 0), 5);
  assert.deepEqual(h.take(), [
    { kind: 'record', value: 'a:1', timestamp: 1 },
    { kind: 'record', value: 'b:1', timestamp: 2 },
    { kind: 'record', value: 'a:2', timestamp: 5 },
  ]);
  h.processWatermark(12);
  assert.deepEqual(h.take(), [
    { kind: 'record', value: 'timer a@11 EVENT_TIME ts=11 count=2', timestamp: 11 },
    { kind: 'record', value: 'timer b@12 EVENT_TIME ts=12 count=1', timestamp: 12 },
    { kind: 'watermark', watermark: 12 },
  ]);
  h.processElement(e('a', 0), 13);
  h.processWatermark(100);
  assert.deepEqual(h.take(), [
    { kind: 'record', value: 'a:1', timestamp: 13 },
    { kind: 'record', value: 'timer a@15 EVENT_TIME ts=15 count=1', timestamp: 15 },
    { kind: 'record', value: 'timer a@23 EVENT_TIME ts=23 count=0', timestamp: 23 },
    { kind: 'watermark', watermark: 100 },
  ]);
  assert.equal(h.backend!.numEntries(), 0);
  await h.endAll();
});

test('keyed process: processing-time timers, deletion, side outputs, plain-object function', async () => {
  const tag = new OutputTag<string>('side');
  const fn = {
    processElement(value: E, ctx: KeyedProcessContext<string>, out: Collector<string>) {
      const ts = ctx.timerService();
      if (value.v < 0) ts.deleteProcessingTimeTimer(-value.v);
      else ts.registerProcessingTimeTimer(ts.currentProcessingTime() + value.v);
      ctx.output(tag, `seen ${value.k}`);
      out.collect(`in ${value.k}`);
    },
    onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>) {
      out.collect(`${ctx.getCurrentKey()}@${ts} ${ctx.timeDomain()} ts=${ctx.timestamp()} wm=${ctx.timerService().currentWatermark()}`);
      ctx.output(tag, `timer ${ctx.getCurrentKey()}`);
    },
  };
  const h = await new OperatorHarness((ctx) => new KeyedProcessOperator(ctx, { type: 'keyedProcess', fn }), {
    keySelectors: [byK],
    processingTime: 100,
  }).open();
  h.processElement(e('a', 10), 7); // timer at 110
  h.processElement(e('b', 5)); // timer at 105
  h.processElement(e('c', 20)); // timer at 120
  h.processElement(e('c', -120)); // deletes c's timer
  h.setProcessingTime(200);
  assert.deepEqual(h.records(), [
    { value: 'in a', timestamp: 7 },
    { value: 'in b', timestamp: undefined },
    { value: 'in c', timestamp: undefined },
    { value: 'in c', timestamp: undefined },
    { value: `b@105 PROCESSING_TIME ts=105 wm=${Number.MIN_SAFE_INTEGER}`, timestamp: undefined },
    { value: `a@110 PROCESSING_TIME ts=110 wm=${Number.MIN_SAFE_INTEGER}`, timestamp: undefined },
  ]);
  assert.deepEqual(h.sideOutput(tag), [
    { value: 'seen a', timestamp: 7 },
    { value: 'seen b', timestamp: undefined },
    { value: 'seen c', timestamp: undefined },
    { value: 'seen c', timestamp: undefined },
    { value: 'timer b', timestamp: undefined },
    { value: 'timer a', timestamp: undefined },
  ]);
});

test('keyed process in BATCH mode fires remaining event and processing timers at finish()', async () => {
  const fn = {
    processElement(value: E, ctx: KeyedProcessContext<string>) {
      ctx.timerService().registerEventTimeTimer(1000 + value.v);
      ctx.timerService().registerProcessingTimeTimer(5000 + value.v);
    },
    onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>) {
      out.collect(`${ctx.getCurrentKey()} ${ctx.timeDomain()} ${ts}`);
    },
  };
  const h = await new OperatorHarness((ctx) => new KeyedProcessOperator(ctx, { type: 'keyedProcess', fn }), {
    keySelectors: [byK],
    runtimeMode: 'BATCH',
  }).open();
  h.processElement(e('a', 2), 1);
  h.processElement(e('b', 1), 1);
  await h.endAll();
  assert.deepEqual(h.values(), ['b EVENT_TIME 1001', 'a EVENT_TIME 1002', 'b PROCESSING_TIME 5001', 'a PROCESSING_TIME 5002']);
});

test('keyed process needs a keyed stream', () => {
  assert.throws(
    () => new OperatorHarness((ctx) => new KeyedProcessOperator(ctx, { type: 'keyedProcess', fn: () => {} })),
    isStateAccess(/keyBy\(\)/),
  );
});

test('non-keyed process: records keep timestamps, clocks work, timers throw', async () => {
  const seen: string[] = [];
  const fn = (value: number, ctx: ProcessContext, out: Collector<number>): void => {
    const ts = ctx.timerService();
    seen.push(`wm=${ts.currentWatermark()} pt=${ts.currentProcessingTime()} ts=${ctx.timestamp()}`);
    if (value < 0) ts.registerEventTimeTimer(10);
    out.collect(value * 2);
  };
  const h = await new OperatorHarness((ctx) => new ProcessOperator(ctx, { type: 'process', fn }), { processingTime: 42 }).open();
  h.processElement(1, 5);
  h.processWatermark(7);
  h.processElement(2);
  assert.throws(() => h.processElement(-1, 9), isStateAccess(/timers need a keyed stream/));
  assert.deepEqual(h.take(), [
    { kind: 'record', value: 2, timestamp: 5 },
    { kind: 'watermark', watermark: 7 },
    { kind: 'record', value: 4, timestamp: undefined },
  ]);
  assert.deepEqual(seen, [`wm=${Number.MIN_SAFE_INTEGER} pt=42 ts=5`, 'wm=7 pt=42 ts=undefined', 'wm=7 pt=42 ts=9']);
});

// ------------------------------------------------------------------ keyed reduce / aggregations

function reduceHarness(mode: RuntimeMode): OperatorHarness<KeyedReduceOperator> {
  return new OperatorHarness(
    (ctx) => new KeyedReduceOperator(ctx, { type: 'keyedReduce', fn: (a: E, b: E) => ({ k: a.k, v: a.v + b.v }) }),
    {
      keySelectors: [byK],
      runtimeMode: mode,
    },
  );
}

test('keyed reduce, STREAMING: emits the running value after every record with its timestamp', async () => {
  const h = await reduceHarness('STREAMING').open();
  h.processElement(e('a', 1), 1);
  h.processElement(e('b', 2), 2);
  h.processElement(e('a', 3), 3);
  h.processWatermark(3);
  await h.endAll();
  assert.deepEqual(h.take(), [
    { kind: 'record', value: e('a', 1), timestamp: 1 },
    { kind: 'record', value: e('b', 2), timestamp: 2 },
    { kind: 'record', value: e('a', 4), timestamp: 3 },
    { kind: 'watermark', watermark: 3 },
  ]);
});

test('keyed reduce, BATCH: emits only each key final value, at finish()', async () => {
  const h = await reduceHarness('BATCH').open();
  h.processElement(e('a', 1), 1);
  h.processElement(e('b', 2), 2);
  h.processElement(e('a', 3), 3);
  h.processElement(e('b', 5), 4);
  assert.deepEqual(h.values(), []);
  await h.endAll();
  assert.deepEqual(h.records(), [
    { value: e('a', 4), timestamp: undefined },
    { value: e('b', 7), timestamp: undefined },
  ]);
});

test('a rich reduce function is opened and closed', async () => {
  const calls: string[] = [];
  const fn = { reduce: (a: number, b: number) => a + b, open: () => calls.push('open'), close: () => calls.push('close') };
  const h = await new OperatorHarness((ctx) => new KeyedReduceOperator(ctx, { type: 'keyedReduce', fn }), {
    keySelectors: [() => 0],
  }).open();
  h.processElement(1);
  h.processElement(2);
  await h.endAll();
  assert.deepEqual(h.values(), [1, 3]);
  assert.deepEqual(calls, ['open', 'close']);
});

interface R {
  k: string;
  x: number;
  n: string;
}
const r1: R = { k: 'a', x: 5, n: 'r1' };
const r2: R = { k: 'a', x: 3, n: 'r2' };
const r3: R = { k: 'a', x: 3, n: 'r3' };
const r4: R = { k: 'a', x: 8, n: 'r4' };
const rows = [r1, r2, r3, r4];

async function aggregate(
  aggregation: FieldAggregation,
  input: unknown[],
  key: (v: unknown) => unknown,
  mode: RuntimeMode = 'STREAMING',
): Promise<unknown[]> {
  const h = await new OperatorHarness((ctx) => new KeyedAggregationOperator(ctx, { type: 'keyedAggregation', aggregation }), {
    keySelectors: [key],
    runtimeMode: mode,
  }).open();
  for (const [i, v] of input.entries()) h.processElement(v, i);
  await h.endAll();
  return h.values();
}

test('sum/min/max by field update only that field of the first record; minBy/maxBy keep whole records, first on ties', async () => {
  const snapshot = JSON.stringify(rows);
  assert.deepEqual(await aggregate({ kind: 'sum', field: 'x' }, rows, byK), [
    { k: 'a', x: 5, n: 'r1' },
    { k: 'a', x: 8, n: 'r1' },
    { k: 'a', x: 11, n: 'r1' },
    { k: 'a', x: 19, n: 'r1' },
  ]);
  assert.deepEqual(await aggregate({ kind: 'min', field: 'x' }, rows, byK), [
    { k: 'a', x: 5, n: 'r1' },
    { k: 'a', x: 3, n: 'r1' },
    { k: 'a', x: 3, n: 'r1' },
    { k: 'a', x: 3, n: 'r1' },
  ]);
  assert.deepEqual(await aggregate({ kind: 'max', field: 'x' }, rows, byK), [
    { k: 'a', x: 5, n: 'r1' },
    { k: 'a', x: 5, n: 'r1' },
    { k: 'a', x: 5, n: 'r1' },
    { k: 'a', x: 8, n: 'r1' },
  ]);
  assert.deepEqual(await aggregate({ kind: 'minBy', field: 'x' }, rows, byK), [r1, r2, r2, r2]);
  assert.deepEqual(await aggregate({ kind: 'maxBy', field: 'x' }, rows, byK), [r1, r1, r1, r4]);
  assert.equal(JSON.stringify(rows), snapshot, 'input records are never mutated');
});

test('aggregations by array index, on the value itself, and in BATCH mode', async () => {
  const tuples = [
    ['a', 1],
    ['b', 10],
    ['a', 5],
    ['a', 2],
  ];
  const first = (v: unknown): unknown => (v as unknown[])[0];
  assert.deepEqual(await aggregate({ kind: 'sum', field: 1 }, tuples, first), [
    ['a', 1],
    ['b', 10],
    ['a', 6],
    ['a', 8],
  ]);
  assert.deepEqual(await aggregate({ kind: 'max', field: 1 }, tuples, first), [
    ['a', 1],
    ['b', 10],
    ['a', 5],
    ['a', 5],
  ]);
  const parity = (v: unknown): unknown => (v as number) % 2;
  assert.deepEqual(await aggregate({ kind: 'sum', field: undefined }, [1, 3, 2, 5], parity), [1, 4, 2, 9]);
  assert.deepEqual(await aggregate({ kind: 'min', field: undefined }, [3, 1, 2, 5], parity), [3, 1, 2, 1]);
  assert.deepEqual(await aggregate({ kind: 'maxBy', field: undefined }, [3, 1, 2, 5], parity), [3, 3, 2, 5]);
  assert.deepEqual(await aggregate({ kind: 'sum', field: 'x' }, rows, byK, 'BATCH'), [{ k: 'a', x: 19, n: 'r1' }]);
  assert.deepEqual(await aggregate({ kind: 'minBy', field: 1 }, tuples, first, 'BATCH'), [
    ['a', 1],
    ['b', 10],
  ]);
});

// ------------------------------------------------------------------ two inputs

test('coMap: map1/map2 by input; the watermark is the minimum of both inputs', async () => {
  const h = await new OperatorHarness(
    (ctx) => new CoMapOperator(ctx, { type: 'coMap', fn: { map1: (v: number) => `1:${v}`, map2: (v: string) => `2:${v}` } }),
  ).open();
  h.processElement(1, 10, 0);
  h.processElement('x', 11, 1);
  h.processWatermark(5, 0);
  h.processWatermark(3, 1);
  h.processWatermark(10, 0);
  h.processWatermark(7, 1);
  h.processWatermark(6, 1); // behind its own input watermark: ignored
  h.processWatermark(20, 1);
  assert.deepEqual(h.take(), [
    { kind: 'record', value: '1:1', timestamp: 10 },
    { kind: 'record', value: '2:x', timestamp: 11 },
    { kind: 'watermark', watermark: 3 },
    { kind: 'watermark', watermark: 7 },
    { kind: 'watermark', watermark: 10 },
  ]);
});

test('coFlatMap', async () => {
  const fn = {
    flatMap1: (line: string, out: Collector<string>) => line.split(' ').forEach((w) => out.collect(w)),
    flatMap2: (n: number, out: Collector<string>) => {
      out.collect(`#${n}`);
      out.collect(`#${n}`);
    },
  };
  const h = await new OperatorHarness((ctx) => new CoFlatMapOperator(ctx, { type: 'coFlatMap', fn })).open();
  h.processElement('a b', 1, 0);
  h.processElement(7, 2, 1);
  assert.deepEqual(h.records(), [
    { value: 'a', timestamp: 1 },
    { value: 'b', timestamp: 1 },
    { value: '#7', timestamp: 2 },
    { value: '#7', timestamp: 2 },
  ]);
});

test('coMap on connected keyed streams can use keyed state of each input key', async () => {
  class Counter {
    private c!: ValueState<number>;
    open(ctx: RuntimeContext): void {
      this.c = ctx.getState(new ValueStateDescriptor<number>('c', 0));
    }
    private bump(tag: string): string {
      this.c.update(this.c.value()! + 1);
      return `${tag}${this.c.value()}`;
    }
    map1(v: E): string {
      return this.bump(`${v.k}/1:`);
    }
    map2(v: { id: string }): string {
      return this.bump(`${v.id}/2:`);
    }
  }
  const h = await new OperatorHarness((ctx) => new CoMapOperator(ctx, { type: 'coMap', fn: new Counter() }), {
    keySelectors: [byK, (v) => (v as { id: string }).id],
  }).open();
  h.processElement(e('a', 0), 1, 0);
  h.processElement({ id: 'a' }, 1, 1);
  h.processElement({ id: 'b' }, 1, 1);
  h.processElement(e('a', 0), 1, 0);
  assert.deepEqual(h.values(), ['a/1:1', 'a/2:2', 'b/2:1', 'a/1:3']);
});

test('non-keyed coProcess: contexts, side output, combined watermark; timers throw', async () => {
  const tag = new OutputTag<string>('s');
  const fn = {
    processElement1(v: number, ctx: KeyedProcessContext<never>, out: Collector<string>) {
      out.collect(`1:${v}@${ctx.timestamp()} wm=${ctx.timerService().currentWatermark()}`);
    },
    processElement2(v: number, ctx: KeyedProcessContext<never>) {
      ctx.output(tag, `2:${v}`);
      if (v < 0) ctx.timerService().registerProcessingTimeTimer(1);
    },
  };
  const h = await new OperatorHarness((ctx) => new CoProcessOperator(ctx, { type: 'coProcess', fn })).open();
  h.processWatermark(4, 0);
  h.processWatermark(2, 1);
  h.processElement(1, 5, 0);
  h.processElement(2, 6, 1);
  assert.throws(() => h.processElement(-1, 6, 1), isStateAccess(/timers need a keyed stream/));
  assert.deepEqual(h.take(), [
    { kind: 'watermark', watermark: 2 },
    { kind: 'record', value: '1:1@5 wm=2', timestamp: 5 },
  ]);
  assert.deepEqual(h.sideOutput(tag), [
    { value: '2:2', timestamp: 6 },
    { value: '2:-1', timestamp: 6 },
  ]);
});

interface Order {
  id: string;
  amount: number;
}
interface Payment {
  orderId: string;
}

class OrderTimeout extends KeyedCoProcessFunction<string, Order, Payment, string> {
  private order!: ValueState<{ amount: number; ts: number }>;
  override open(ctx: RuntimeContext): void {
    this.order = ctx.getState(new ValueStateDescriptor<{ amount: number; ts: number }>('order'));
  }
  processElement1(o: Order, ctx: KeyedProcessContext<string>): void {
    this.order.update({ amount: o.amount, ts: ctx.timestamp()! });
    ctx.timerService().registerEventTimeTimer(ctx.timestamp()! + 10);
  }
  processElement2(_p: Payment, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const o = this.order.value();
    if (o === undefined) return;
    out.collect(`paid ${ctx.getCurrentKey()} ${o.amount}`);
    ctx.timerService().deleteEventTimeTimer(o.ts + 10);
    this.order.clear();
  }
  override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(`timeout ${ctx.getCurrentKey()} ${this.order.value()?.amount} at ${ts} (${ctx.timeDomain()})`);
    this.order.clear();
  }
}

test('keyed coProcess: each input keyed by its own selector; shared keyed state and timers', async () => {
  const h = await new OperatorHarness((ctx) => new KeyedCoProcessOperator(ctx, { type: 'keyedCoProcess', fn: new OrderTimeout() }), {
    keySelectors: [(o) => (o as Order).id, (p) => (p as Payment).orderId],
  }).open();
  h.processElement({ id: 'o1', amount: 10 }, 1, 0);
  h.processElement({ id: 'o2', amount: 20 }, 2, 0);
  h.processElement({ orderId: 'o1' }, 5, 1);
  h.processElement({ orderId: 'o3' }, 5, 1); // unknown order: nothing
  h.processWatermark(20, 0); // input 1 still at MIN: no timers, no watermark
  assert.deepEqual(h.take(), [{ kind: 'record', value: 'paid o1 10', timestamp: 5 }]);
  h.processWatermark(20, 1);
  assert.deepEqual(h.take(), [
    { kind: 'record', value: 'timeout o2 20 at 12 (EVENT_TIME)', timestamp: 12 },
    { kind: 'watermark', watermark: 20 },
  ]);
  assert.equal(h.backend!.numEntries(), 0);
  assert.equal(h.timerServiceManager!.numEventTimeTimers(), 0);
  await h.endAll(2);
});

test('keyed coProcess needs both inputs keyed', () => {
  assert.throws(
    () =>
      new OperatorHarness((ctx) => new KeyedCoProcessOperator(ctx, { type: 'keyedCoProcess', fn: new OrderTimeout() }), {
        keySelectors: [(o) => (o as Order).id, undefined],
      }),
    isStateAccess(/keyBy\(\)/),
  );
});
