/**
 * Windows beyond time windows, each case one job collected with executeAndCollect and exported:
 * count windows, windowAll, window field aggregations, a user Trigger, built-in triggers on time
 * windows, windowState()/globalState(), dynamic session gaps and the evictors.
 */
import {
  CountEvictor,
  CountTrigger,
  DeltaEvictor,
  DynamicEventTimeSessionWindows,
  EventTimeTrigger,
  GlobalWindows,
  ProcessWindowFunction,
  PurgingTrigger,
  StreamExecutionEnvironment,
  TimeEvictor,
  Trigger,
  TriggerResult,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type ProcessWindowContext,
  type TimeWindow,
  type TriggerContext,
  type Window,
} from 'weir';
import { W_EVENTS, sessionGap, type WEvent } from './windowing-data.js';

const env = StreamExecutionEnvironment.getExecutionEnvironment();

/** One reader and one timestamp assigner: every key's events arrive in order at its window subtask. */
const source = env
  .fromData(...W_EVENTS)
  .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<WEvent>().withTimestampAssigner((e) => e.ts))
  .setParallelism(1);
const events = () => source;
const keyed = () => events().keyBy((e) => e.k);
const vs = (key: string, ctx: ProcessWindowContext<Window>, els: WEvent[], out: Collector<{ k: string; vs: number[] }>): void =>
  out.collect({ k: key, vs: els.map((e) => e.v) });

const countTumbling = keyed()
  .countWindow(4)
  .sum('v')
  .map((r: unknown) => ['count tumbling', r]);
const countSliding = keyed()
  .countWindow(5, 2)
  .process(vs)
  .map((r: unknown) => ['count sliding', r]);
const countAllMax = events()
  .countWindowAll(10)
  .max('v')
  .map((r: unknown) => ['count all max', r])
  .setParallelism(1);

const allTumbling = events()
  .windowAll(TumblingEventTimeWindows.of(5000))
  .process((ctx: ProcessWindowContext<TimeWindow>, els: WEvent[], out: Collector<unknown>) =>
    out.collect({ start: ctx.window().start, n: els.length, sum: els.reduce((s, e) => s + e.v, 0) }),
  )
  .map((r: unknown) => ['window all', r])
  .setParallelism(1);

const tumbling = () => keyed().window(TumblingEventTimeWindows.of(5000));
const aggregations = {
  sum: tumbling()
    .sum('v')
    .map((r: unknown) => ['sum', r]),
  min: tumbling()
    .min('v')
    .map((r: unknown) => ['min', r]),
  max: tumbling()
    .max('v')
    .map((r: unknown) => ['max', r]),
  minBy: tumbling()
    .minBy('v')
    .map((r: unknown) => ['minBy', r]),
  maxBy: tumbling()
    .maxBy('v')
    .map((r: unknown) => ['maxBy', r]),
};

/** Explicit EventTimeTrigger and PurgingTrigger on tumbling windows: as the default trigger. */
const explicitEventTime = tumbling()
  .trigger(EventTimeTrigger.create())
  .sum('v')
  .map((r: unknown) => ['event time trigger', r]);
const purgingEventTime = tumbling()
  .trigger(PurgingTrigger.of(EventTimeTrigger.create()))
  .sum('v')
  .map((r: unknown) => ['purging event time trigger', r]);

/** A user trigger: fires and purges on a large value, fires what is left at the window's end. */
class BigValueTrigger extends Trigger<WEvent, TimeWindow> {
  onElement(e: WEvent, _ts: number | undefined, w: TimeWindow, ctx: TriggerContext): TriggerResult {
    ctx.registerEventTimeTimer(w.maxTimestamp());
    return e.v > 18 ? TriggerResult.FIRE_AND_PURGE : TriggerResult.CONTINUE;
  }
  onEventTime(time: number, w: TimeWindow): TriggerResult {
    return time === w.maxTimestamp() ? TriggerResult.FIRE_AND_PURGE : TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  clear(w: TimeWindow, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(w.maxTimestamp());
  }
}
const customTrigger = keyed()
  .window(TumblingEventTimeWindows.of(10_000))
  .trigger(new BigValueTrigger())
  .process((key: string, ctx: ProcessWindowContext<TimeWindow>, els: WEvent[], out: Collector<unknown>) =>
    out.collect({ k: key, start: ctx.window().start, vs: els.map((e) => e.v) }),
  )
  .map((r: unknown) => ['custom trigger', r]);

/** windowState() counts the fires of a window (cleared with it), globalState() those of the key. */
const FIRES = new ValueStateDescriptor<number>('fires');
const TOTAL = new ValueStateDescriptor<number>('total');
class CountFires extends ProcessWindowFunction<WEvent, unknown, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, els: WEvent[], out: Collector<unknown>): void {
    const w = ctx.windowState().getState(FIRES);
    w.update((w.value() ?? 0) + 1);
    const g = ctx.globalState().getState(TOTAL);
    g.update((g.value() ?? 0) + 1);
    out.collect({ k: key, start: ctx.window().start, n: els.length, windowFires: w.value(), keyFires: g.value() });
  }
  override clear(ctx: ProcessWindowContext<TimeWindow>): void {
    ctx.windowState().getState(FIRES).clear();
  }
}
const perWindowState = keyed()
  .window(TumblingEventTimeWindows.of(10_000))
  .trigger(CountTrigger.of(3))
  .process(new CountFires())
  .map((r: unknown) => ['window state', r]);

const dynamicSessions = keyed()
  .window(DynamicEventTimeSessionWindows.withDynamicGap<WEvent>(sessionGap))
  .process((key: string, ctx: ProcessWindowContext<TimeWindow>, els: WEvent[], out: Collector<unknown>) =>
    out.collect({ k: key, start: ctx.window().start, end: ctx.window().end, n: els.length }),
  )
  .map((r: unknown) => ['dynamic sessions', r]);

const deltaEvictor = keyed()
  .window(GlobalWindows.create())
  .trigger(CountTrigger.of(4))
  .evictor(DeltaEvictor.of(10, (a: WEvent, b: WEvent) => Math.abs(a.v - b.v)))
  .process(vs)
  .map((r: unknown) => ['delta evictor', r]);

const timeEvictorAfter = keyed()
  .window(GlobalWindows.create())
  .trigger(CountTrigger.of(3))
  .evictor(TimeEvictor.of(2000, true))
  .process(vs)
  .map((r: unknown) => ['time evictor after', r]);

const countEvictorReduce = keyed()
  .window(GlobalWindows.create())
  .trigger(CountTrigger.of(2))
  .evictor(CountEvictor.of(3))
  .reduce((a: WEvent, b: WEvent) => ({ k: a.k, v: a.v + b.v, ts: b.ts }))
  .map((r: unknown) => ['count evictor reduce', r]);

/** Flink's WindowFunction (apply) and AllWindowedStream.reduce with a ProcessAllWindowFunction. */
const applied = tumbling()
  .apply((key: string, w: TimeWindow, input: WEvent[], out: Collector<unknown>) => out.collect({ k: key, start: w.start, n: input.length }))
  .map((r: unknown) => ['apply', r]);
const allReduced = events()
  .windowAll(TumblingEventTimeWindows.of(5000))
  .reduce(
    (a: WEvent, b: WEvent) => ({ ...a, v: a.v + b.v }),
    (ctx: ProcessWindowContext<TimeWindow>, sums: WEvent[], out: Collector<unknown>) =>
      out.collect({ start: ctx.window().start, sum: sums[0]!.v }),
  )
  .map((r: unknown) => ['all reduce', r])
  .setParallelism(1);

/** GlobalWindows.createWithEndOfStreamTrigger(): one result per key when the input ends. */
const endOfStream = keyed()
  .window(GlobalWindows.createWithEndOfStreamTrigger())
  .sum('v')
  .map((r: unknown) => ['end of stream', r]);

/** Every case in one job: results tagged with their case's name. */
const all = await countTumbling
  .union(
    countSliding,
    countAllMax,
    allTumbling,
    ...Object.values(aggregations),
    explicitEventTime,
    purgingEventTime,
    customTrigger,
    perWindowState,
    dynamicSessions,
    deltaEvictor,
    timeEvictorAfter,
    countEvictorReduce,
    applied,
    allReduced,
    endOfStream,
  )
  .executeAndCollect('windowing');
export const results: Record<string, unknown[]> = {};
for (const [name, r] of all as [string, unknown][]) (results[name] ??= []).push(r);
