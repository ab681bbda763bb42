/**
 * A keyed job whose state 'acc' is a ValueState in version 1 and a ListState in version 2 (args:
 * out dir, version, records, records per second, checkpoint interval ms), for the test that a
 * savepoint of version 1 cannot be restored into version 2.
 */
import {
  KeyedProcessFunction,
  ListStateDescriptor,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedProcessContext,
  type ListState,
  type RuntimeContext,
  type ValueState,
} from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [out = 'out', version = '1', recordsArg = '100000', rateArg = '2000', intervalArg = '100'] = process.argv.slice(2);

class SumV1 extends KeyedProcessFunction<number, number, object> {
  private acc!: ValueState<number>;
  override open(ctx: RuntimeContext): void {
    this.acc = ctx.getState(new ValueStateDescriptor<number>('acc'));
  }
  processElement(v: number, _ctx: KeyedProcessContext<number>, o: Collector<object>): void {
    const sum = (this.acc.value() ?? 0) + v;
    this.acc.update(sum);
    o.collect({ k: v % 3, sum });
  }
}

class SumV2 extends KeyedProcessFunction<number, number, object> {
  private acc!: ListState<number>;
  override open(ctx: RuntimeContext): void {
    this.acc = ctx.getListState(new ListStateDescriptor<number>('acc'));
  }
  processElement(v: number, _ctx: KeyedProcessContext<number>, o: Collector<object>): void {
    this.acc.add(v);
    o.collect({ k: v % 3, n: this.acc.get().length });
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env.enableCheckpointing(Number(intervalArg));

env
  .fromSource(
    new DataGeneratorSource((i) => i, Number(recordsArg), { ratePerSecond: Number(rateArg) }),
    WatermarkStrategy.noWatermarks(),
    'numbers',
  )
  .uid('numbers')
  .keyBy((v: number) => v % 3)
  .process(version === '1' ? new SumV1() : new SumV2())
  .uid('sums')
  .name('sums')
  .sinkTo(FileSink.jsonLines(out))
  .uid('sink')
  .name('sink');

await env.execute('state-kind');
