/**
 * connect(): CoMap and CoFlatMap (objects with map1/map2, flatMap1/flatMap2), a non-keyed
 * CoProcessFunction with a side output, and a KeyedCoProcessFunction with state on both sides and
 * an event-time timer that reports what is left at the end of input.
 */
import {
  CoProcessFunction,
  KeyedCoProcessFunction,
  OutputTag,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type OnTimerContext,
  type ProcessContext,
  type ValueState,
} from 'weir';
import { out } from './lib.js';

export const INTS = [1, 2, 3, 4, 5, 6];
export const WORDS = ['a', 'bb', 'ccc'];
/** Left: (key, amount) pairs; right: (key, limit): the keyed join sums the left per key and compares. */
export const LEFT = [
  { k: 'p', amount: 5 },
  { k: 'q', amount: 1 },
  { k: 'p', amount: 7 },
  { k: 'r', amount: 2 },
  { k: 'q', amount: 4 },
];
export const RIGHT = [
  { k: 'q', limit: 3 },
  { k: 'p', limit: 10 },
  { k: 's', limit: 1 },
];

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const ints = env.fromData(...INTS);
const words = env.fromData(...WORDS);

ints
  .connect(words)
  .map({ map1: (n: number) => `int:${n}`, map2: (w: string) => `word:${w}` })
  .sinkTo(out('co-map'));

ints
  .connect(words)
  .flatMap({
    flatMap1: (n: number, o: Collector<string>) => {
      if (n % 2 === 0) o.collect(`even:${n}`);
    },
    flatMap2: (w: string, o: Collector<string>) => {
      for (const ch of w) o.collect(`char:${ch}`);
    },
  })
  .sinkTo(out('co-flat-map'));

const longWords = new OutputTag<string>('long-words');
class Route extends CoProcessFunction<number, string, string> {
  processElement1(n: number, _ctx: ProcessContext, o: Collector<string>): void {
    o.collect(`n${n * n}`);
  }
  processElement2(w: string, ctx: ProcessContext, o: Collector<string>): void {
    if (w.length > 1) ctx.output(longWords, w.toUpperCase());
    else o.collect(`w${w}`);
  }
}
const routed = ints.rebalance().connect(words.rebalance()).process(new Route());
routed.sinkTo(out('co-process'));
routed.getSideOutput(longWords).sinkTo(out('co-process-side'));

type L = (typeof LEFT)[number];
type R = (typeof RIGHT)[number];
class OverLimit extends KeyedCoProcessFunction<string, L, R, object> {
  private total!: ValueState<number>;
  private limit!: ValueState<number>;
  override open(): void {
    this.total = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('total', 0));
    this.limit = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('limit'));
  }
  processElement1(l: L, ctx: KeyedProcessContext<string>, o: Collector<object>): void {
    this.total.update(this.total.value()! + l.amount);
    this.check(ctx, o);
  }
  processElement2(r: R, ctx: KeyedProcessContext<string>, o: Collector<object>): void {
    this.limit.update(r.limit);
    this.check(ctx, o);
  }
  private check(ctx: KeyedProcessContext<string>, o: Collector<object>): void {
    // the end of input brings the watermark to the end of time: this timer reports each key's final state
    ctx.timerService().registerEventTimeTimer(1000);
    const limit = this.limit.value();
    if (limit !== undefined && this.total.value()! > limit) o.collect({ over: ctx.getCurrentKey(), total: this.total.value(), limit });
  }
  override onTimer(t: number, ctx: OnTimerContext<string>, o: Collector<object>): void {
    o.collect({ final: ctx.getCurrentKey(), total: this.total.value(), limit: this.limit.value() ?? null, timer: t });
  }
}
env
  .fromData(...LEFT)
  .connect(env.fromData(...RIGHT))
  .keyBy(
    (l) => l.k,
    (r) => r.k,
  )
  .process(new OverLimit())
  .sinkTo(out('keyed-co-process'));

await env.execute('connect');
