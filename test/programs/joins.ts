/**
 * Windowed join (JoinFunction, FlatJoinFunction, a RichJoinFunction), coGroup, and interval joins
 * with inclusive and exclusive bounds; one job, results tagged by case and collected.
 */
import {
  ProcessJoinFunction,
  RichJoinFunction,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type Collector,
  type ProcessJoinContext,
  type RuntimeContext,
} from 'weir';
import { J_EVENTS, LOWER_MS, UPPER_MS, WINDOW_MS, type JEvent } from './joins-data.js';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const source = env
  .fromData(...J_EVENTS)
  .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<JEvent>().withTimestampAssigner((e) => e.ts))
  .setParallelism(1);
const orders = source.filter((e) => e.side === 'O');
const payments = source.filter((e) => e.side === 'P');
const window = TumblingEventTimeWindows.of(WINDOW_MS);

const join = orders
  .join(payments)
  .where((o) => o.k)
  .equalTo((p) => p.k)
  .window(window)
  .apply((o: JEvent, p: JEvent) => ({ k: o.k, o: o.id, p: p.id }))
  .map((r: unknown) => ['join', r]);

const flatJoin = orders
  .join(payments)
  .where((o) => o.k)
  .equalTo((p) => p.k)
  .window(window)
  .apply((o: JEvent, p: JEvent, out: Collector<unknown>) => {
    if ((o.id + p.id) % 2 === 0) out.collect({ k: o.k, o: o.id, p: p.id });
  })
  .map((r: unknown) => ['flat join', r]);

class Labelled extends RichJoinFunction<JEvent, JEvent, string> {
  private label = '';
  override open(ctx: RuntimeContext): void {
    this.label = `n${ctx.getNumberOfParallelSubtasks() > 0 ? '' : '?'}`;
  }
  join(o: JEvent, p: JEvent): string {
    return `${this.label}${o.id}-${p.id}`;
  }
}
const richJoin = orders
  .join(payments)
  .where((o) => o.k)
  .equalTo((p) => p.k)
  .window(window)
  .apply(new Labelled())
  .map((r: unknown) => ['rich join', r]);

const coGroup = orders
  .coGroup(payments)
  .where((o) => o.k)
  .equalTo((p) => p.k)
  .window(window)
  .apply((os: JEvent[], ps: JEvent[], out: Collector<unknown>) =>
    out.collect({ k: (os[0] ?? ps[0])!.k, o: os.map((e) => e.id).sort((a, b) => a - b), p: ps.map((e) => e.id).sort((a, b) => a - b) }),
  )
  .map((r: unknown) => ['coGroup', r]);

class Pair extends ProcessJoinFunction<JEvent, JEvent, unknown> {
  processElement(o: JEvent, p: JEvent, ctx: ProcessJoinContext, out: Collector<unknown>): void {
    out.collect({ o: o.id, p: p.id, ts: ctx.getTimestamp(), lt: ctx.getLeftTimestamp(), rt: ctx.getRightTimestamp() });
  }
}
const interval = orders
  .keyBy((o) => o.k)
  .intervalJoin(payments.keyBy((p) => p.k))
  .between(LOWER_MS, UPPER_MS)
  .process(new Pair())
  .map((r: unknown) => ['interval', r]);

const intervalExclusive = orders
  .keyBy((o) => o.k)
  .intervalJoin(payments.keyBy((p) => p.k))
  .between(LOWER_MS, UPPER_MS)
  .lowerBoundExclusive()
  .upperBoundExclusive()
  .process((o: JEvent, p: JEvent, _ctx: ProcessJoinContext, out: Collector<unknown>) => out.collect({ o: o.id, p: p.id }))
  .map((r: unknown) => ['interval exclusive', r]);

/** Timestamps of results: an interval join's result carries max(left, right); a window join's the window's end - 1. */
const stamps = interval
  .process((r: unknown, ctx, out: Collector<unknown>) => out.collect([(r as [string, { ts: number }])[1].ts, ctx.timestamp()]))
  .map((r: unknown) => ['interval stamps', r]);

const all = await join.union(flatJoin, richJoin, coGroup, interval, intervalExclusive, stamps).executeAndCollect('joins');
export const results: Record<string, unknown[]> = {};
for (const [name, r] of all as [string, unknown][]) (results[name] ??= []).push(r);
