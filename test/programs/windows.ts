/**
 * Windows: tumbling, sliding and session event-time windows with reduce, aggregate and process
 * window functions (with and without a ProcessWindowFunction); allowedLateness with a late side
 * output; tumbling processing-time windows on a rate-limited source. Cases: 'event', 'processing'.
 */
import {
  EventTimeSessionWindows,
  OutputTag,
  ProcessWindowFunction,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type ProcessContext,
  type ProcessWindowContext,
  type TimeWindow,
} from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { LATE_EVENTS, WINDOW_EVENTS, type Ev } from './data.js';
import { CASES, out } from './lib.js';

const cases = new Set(CASES.length ? CASES : ['event', 'processing']);

const average: AggregateFunction<Ev, { sum: number; n: number }, { avg: number; n: number }> = {
  createAccumulator: () => ({ sum: 0, n: 0 }),
  add: (e, acc) => ({ sum: acc.sum + e.v, n: acc.n + 1 }),
  getResult: (acc) => ({ avg: acc.sum / acc.n, n: acc.n }),
  merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
};

/** A rich ProcessWindowFunction: all elements of the window, and open() before the first window. */
class Describe extends ProcessWindowFunction<Ev, object, string> {
  private opened = false;
  override open(): void {
    this.opened = true;
  }
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Ev[], o: Collector<object>): void {
    const w = ctx.window();
    o.collect({ key, start: w.start, end: w.end, count: elements.length, vs: elements.map((e) => e.v), opened: this.opened });
  }
}

if (cases.has('event')) {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  const events = env
    .fromData(...WINDOW_EVENTS)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts))
    .setParallelism(1);
  const keyed = events.keyBy((e) => e.key);

  // reduce alone: the reduced record, stamped with the window's max timestamp
  keyed
    .window(TumblingEventTimeWindows.of(5000))
    .reduce((a, b) => ({ key: a.key, ts: Math.max(a.ts, b.ts), v: a.v + b.v }))
    .process((e: Ev, ctx: ProcessContext, o: Collector<object>) => o.collect({ ...e, recordTs: ctx.timestamp() }))
    .sinkTo(out('tumbling-reduce'));
  // reduce with a window function (a plain function)
  keyed
    .window(TumblingEventTimeWindows.of('5s'))
    .reduce(
      (a, b) => ({ ...a, v: a.v + b.v }),
      (key: string, ctx, [sum], o: Collector<object>) => o.collect({ key, start: ctx.window().start, end: ctx.window().end, sum: sum!.v }),
    )
    .sinkTo(out('tumbling-reduce-window'));
  // aggregate alone and with a window function, on sliding windows
  keyed.window(SlidingEventTimeWindows.of(6000, 3000)).aggregate(average).sinkTo(out('sliding-aggregate'));
  keyed
    .window(SlidingEventTimeWindows.of(6000, 3000))
    .aggregate(average, (key: string, ctx, [r], o: Collector<object>) =>
      o.collect({ key, start: ctx.window().start, end: ctx.window().end, avg: r!.avg, n: r!.n }),
    )
    .sinkTo(out('sliding-aggregate-window'));
  // sessions with a full ProcessWindowFunction
  keyed.window(EventTimeSessionWindows.withGap(3000)).process(new Describe()).sinkTo(out('session-process'));
  // tumbling with a ProcessWindowFunction
  keyed.window(TumblingEventTimeWindows.of(10_000)).process(new Describe()).sinkTo(out('tumbling-process'));

  // allowed lateness and late data: a watermark at the largest timestamp so far, after every record
  const late = new OutputTag<{ ts: number }>('too-late');
  const lateWindows = env
    .fromData(...LATE_EVENTS.map((ts) => ({ ts })))
    .assignTimestampsAndWatermarks(
      WatermarkStrategy.forGenerator<{ ts: number }>(() => {
        let max = Number.MIN_SAFE_INTEGER;
        return {
          onEvent: (_e, ts, o) => o.emitWatermark((max = Math.max(max, ts))),
          onPeriodicEmit: () => {},
        };
      }).withTimestampAssigner((e) => e.ts),
    )
    .setParallelism(1)
    .keyBy(() => 'k')
    .window(TumblingEventTimeWindows.of(5000))
    .allowedLateness(2000)
    .sideOutputLateData(late)
    .aggregate(
      {
        createAccumulator: () => 0,
        add: (_e: { ts: number }, n: number) => n + 1,
        getResult: (n: number) => n,
        merge: (a: number, b: number) => a + b,
      },
      (_k: string, ctx, [count], o: Collector<object>) => o.collect({ start: ctx.window().start, count }),
    )
    .name('late windows')
    .uid('late-windows');
  lateWindows.sinkTo(out('lateness-windows'));
  lateWindows.getSideOutput(late).sinkTo(out('lateness-late'));

  await env.execute('event-time windows');
}

/** Processing time: 100 counted records, then 50 filler ones that keep the job alive past the last window. */
export const PT_RECORDS = 100;
export const PT_WINDOW_MS = 100;
if (cases.has('processing')) {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env
    .fromSource(
      new DataGeneratorSource((i) => i, PT_RECORDS + 50, { ratePerSecond: 250 }),
      WatermarkStrategy.noWatermarks<number>(),
      'ticks',
    )
    .filter((i) => i < PT_RECORDS)
    .keyBy((i) => i % 2)
    .window(TumblingProcessingTimeWindows.of(PT_WINDOW_MS))
    .process((key: number, ctx, elements: number[], o: Collector<object>) =>
      o.collect({
        key,
        start: ctx.window().start,
        end: ctx.window().end,
        count: elements.length,
        sum: elements.reduce((a, b) => a + b, 0),
      }),
    )
    .sinkTo(out('processing-tumbling'));
  await env.execute('processing-time windows');
}
