/**
 * Stateless transformations, side outputs, keyed rolling reductions and aggregations, union and
 * rich-function life cycle, all in one job. Results: one directory per name under OUT_DIR.
 */
import {
  OutputTag,
  ProcessFunction,
  RichFilterFunction,
  RichFlatMapFunction,
  RichMapFunction,
  StreamExecutionEnvironment,
  type Collector,
  type ProcessContext,
  type RuntimeContext,
} from 'weir';
import { NUMBERS, READINGS, type Reading } from './data.js';
import { out, report } from './lib.js';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const numbers = env.fromData(...NUMBERS);

// map / filter / flatMap as plain functions, each after a rebalance so they really run in parallel
numbers
  .rebalance()
  .map((n) => n * 10)
  .sinkTo(out('map'));
numbers
  .rebalance()
  .filter((n) => n % 3 === 0)
  .sinkTo(out('filter'));
numbers
  .rebalance()
  .flatMap((n: number, o: Collector<string>) => {
    for (let i = 0; i < n % 3; i++) o.collect(`${n}.${i}`);
  })
  .sinkTo(out('flatMap'));

// process with two side outputs
const odd = new OutputTag<string>('odd');
const big = new OutputTag<{ n: number; ts: number | null }>('big');
class Split extends ProcessFunction<number, number> {
  processElement(n: number, ctx: ProcessContext, o: Collector<number>): void {
    if (n % 2 === 1) ctx.output(odd, `odd-${n}`);
    else o.collect(n);
    if (n > 25) ctx.output(big, { n, ts: ctx.timestamp() ?? null });
  }
}
const evens = numbers.rebalance().process(new Split()).name('split');
evens.sinkTo(out('process-main'));
evens.getSideOutput(odd).sinkTo(out('process-odd'));
evens.getSideOutput(big).sinkTo(out('process-big'));
// a plain function works as a ProcessFunction too
numbers
  .process((n: number, ctx: ProcessContext, o: Collector<number>) => {
    if (n <= 3) o.collect(-n);
  })
  .sinkTo(out('process-fn'));

// keyed rolling reduce and field aggregations: STREAMING emits the running value after every record
const readings = env.fromData(...READINGS);
readings
  .keyBy((r) => r.key)
  .reduce((a, b) => ({ key: a.key, v: a.v + b.v, w: Math.max(a.w, b.w), id: b.id }))
  .sinkTo(out('reduce'));
readings.keyBy('key').sum('v').sinkTo(out('sum'));
readings.keyBy('key').min('v').sinkTo(out('min'));
readings.keyBy('key').max('v').sinkTo(out('max'));
readings.keyBy('key').minBy('v').sinkTo(out('minBy'));
readings.keyBy('key').maxBy('v').sinkTo(out('maxBy'));
// by index, on arrays (Flink's tuples); the map stays chained to the source so each key's order is kept
readings
  .map((r): [string, number] => [r.key, r.w])
  .setParallelism(1)
  .keyBy((t) => t[0])
  .sum(1)
  .sinkTo(out('sum-tuple'));

// union of three streams, one of them parallel
env
  .fromData(1, 2, 3)
  .union(env.fromData(100, 101), env.fromSequence(1000, 1009))
  .map((n) => n + 0.5)
  .sinkTo(out('union'));

// rich functions: open() once per subtask before any record, close() once after the last
class Tag extends RichMapFunction<number, { n: number; subtask: number; parallelism: number; opens: number }> {
  private opens = 0;
  private closes = 0;
  private records = 0;
  private openedWith: RuntimeContext | undefined;
  override open(ctx: RuntimeContext): void {
    this.opens++;
    this.openedWith = ctx;
  }
  map(n: number): { n: number; subtask: number; parallelism: number; opens: number } {
    this.records++;
    const ctx = this.getRuntimeContext();
    if (ctx !== this.openedWith) throw new Error('open() got another context than getRuntimeContext()');
    return { n, subtask: ctx.getIndexOfThisSubtask(), parallelism: ctx.getNumberOfParallelSubtasks(), opens: this.opens };
  }
  override close(): void {
    this.closes++;
    const ctx = this.getRuntimeContext();
    report(`rich-map-${ctx.getIndexOfThisSubtask()}`, {
      opens: this.opens,
      closes: this.closes,
      records: this.records,
      task: ctx.getTaskName(),
      jobId: ctx.getJobId(),
    });
  }
}
class KeepEven extends RichFilterFunction<number> {
  private opened = false;
  override open(): void {
    this.opened = true;
  }
  filter(n: number): boolean {
    if (!this.opened) throw new Error('filter() before open()');
    return n % 2 === 0;
  }
}
class Twice extends RichFlatMapFunction<number, number> {
  private factor = 0;
  override open(): void {
    this.factor = 2;
  }
  flatMap(n: number, o: Collector<number>): void {
    o.collect(n * this.factor);
    o.collect(n * this.factor + 1);
  }
}
numbers.rebalance().map(new Tag()).name('rich map').sinkTo(out('rich-map'));
numbers.rebalance().filter(new KeepEven()).flatMap(new Twice()).sinkTo(out('rich-filter-flatmap'));

export const result = await env.execute('transforms');
export type { Reading };
