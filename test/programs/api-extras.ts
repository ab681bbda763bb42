/**
 * partitionCustom (a function and a Partitioner object, a key selector and a field name),
 * fromElements, RichCoMapFunction and RichCoFlatMapFunction; one job, results tagged and collected.
 */
import {
  RichCoFlatMapFunction,
  RichCoMapFunction,
  RichMapFunction,
  StreamExecutionEnvironment,
  type Collector,
  type RuntimeContext,
} from 'weir';

const env = StreamExecutionEnvironment.getExecutionEnvironment();

/** Tags each record with the subtask that saw it. */
class Where<T> extends RichMapFunction<T, unknown> {
  private subtask = -1;
  constructor(private readonly name: string) {
    super();
  }
  override open(ctx: RuntimeContext): void {
    this.subtask = ctx.getIndexOfThisSubtask();
  }
  map(x: T): unknown {
    return [this.name, [x, this.subtask]];
  }
}

const numbers = env.fromElements(...Array.from({ length: 40 }, (_, i) => i));
const byFunction = numbers
  .partitionCustom(
    (key: number, n: number) => (key * 3) % n,
    (x) => x,
  )
  .map(new Where<number>('function'));
const byObject = env
  .fromElements(...Array.from({ length: 30 }, (_, i) => ({ id: i, name: `n${i}` })))
  .partitionCustom({ partition: (key: number, n: number) => n - 1 - (key % n) }, 'id')
  .map(new Where<{ id: number }>('object'));

class Prefix extends RichCoMapFunction<number, string, unknown> {
  private p = 0;
  override open(ctx: RuntimeContext): void {
    this.p = ctx.getNumberOfParallelSubtasks();
  }
  map1(x: number): unknown {
    return ['coMap', `n${x}/${this.p}`];
  }
  map2(s: string): unknown {
    return ['coMap', `s${s}/${this.p}`];
  }
}
class Split extends RichCoFlatMapFunction<number, string, unknown> {
  private opened = false;
  override open(): void {
    this.opened = true;
  }
  flatMap1(x: number, out: Collector<unknown>): void {
    for (let i = 0; i < x % 3; i++) out.collect(['coFlatMap', `n${x}.${i}:${this.opened}`]);
  }
  flatMap2(s: string, out: Collector<unknown>): void {
    for (const c of s) out.collect(['coFlatMap', `c${c}:${this.opened}`]);
  }
}
const letters = env.fromElements('ab', 'cde', 'f');
const small = env.fromElements(1, 2, 3, 4, 5);
const coMap = small.connect(letters).map(new Prefix());
const coFlatMap = small.connect(letters).flatMap(new Split());

const all = await byFunction.union(byObject, coMap, coFlatMap).executeAndCollect('extras');
export const results: Record<string, unknown[]> = {};
for (const [name, r] of all as [string, unknown][]) (results[name] ??= []).push(r);
