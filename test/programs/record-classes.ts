/**
 * Records that are class instances (test/e2e/record-classes.test.ts; args: case, parallelism).
 * Orders cross a keyBy, sit in keyed state (serialized by the lsm backend) and cross a rebalance;
 * each step checks they are still Orders with their methods. 'unregistered' skips registerType.
 */
import { KeyedProcessFunction, StreamExecutionEnvironment, ValueStateDescriptor, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';
import type { Collector, KeyedProcessContext, ValueState } from 'weir';

export class Order {
  constructor(
    readonly id: number,
    readonly qty: number,
    readonly price: number,
  ) {}
  total(): number {
    return this.qty * this.price;
  }
}

export interface Checked {
  id: number;
  total: number;
  prevTotal: number | null;
  classes: boolean;
}

const [which = 'registered', parallelismArg = '1', out = 'out', count = '3000'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(Number(parallelismArg));
if (which !== 'unregistered') env.registerType(Order);

class Previous extends KeyedProcessFunction<number, Order, { order: Order; prev: Order | null; ok: boolean }> {
  private last!: ValueState<Order>;
  override open(): void {
    this.last = this.getRuntimeContext().getState(new ValueStateDescriptor<Order>('last'));
  }
  processElement(o: Order, _ctx: KeyedProcessContext<number>, out: Collector<{ order: Order; prev: Order | null; ok: boolean }>): void {
    const prev = this.last.value() ?? null;
    this.last.update(o);
    out.collect({ order: o, prev, ok: o instanceof Order && (prev === null || prev instanceof Order) });
  }
}

const toChecked = (r: { order: Order; prev: Order | null; ok: boolean }): Checked => ({
  id: r.order.id,
  total: r.order.total(),
  prevTotal: r.prev === null ? null : r.prev.total(),
  classes: r.ok && r.order instanceof Order && (r.prev === null || r.prev instanceof Order),
});

export let result: Checked[] = [];
if (which === 'savepoint') {
  // Orders in keyed state go into a savepoint; the resumed job must read them back as Orders.
  env.enableCheckpointing(200);
  env
    .fromSource(new DataGeneratorSource((i) => i + 1, Number(count), { ratePerSecond: 1500 }), WatermarkStrategy.noWatermarks(), 'numbers')
    .setParallelism(1)
    .uid('numbers')
    .map((i: number) => new Order(i, (i % 5) + 1, (i % 7) + 1))
    .setParallelism(1)
    .uid('orders')
    .keyBy((o: Order) => o.id % 11)
    .process(new Previous())
    .uid('previous')
    .map(toChecked)
    .uid('check')
    .sinkTo(FileSink.jsonLines(out))
    .uid('sink');
  await env.execute('record-classes-savepoint');
} else {
  result = await env
    .fromSequence(1, 300)
    .setParallelism(1)
    .map((i: number) => new Order(i, (i % 5) + 1, (i % 7) + 1))
    .setParallelism(1) // one producer: each key's orders arrive in order
    .keyBy((o: Order) => o.id % 11)
    .process(new Previous())
    .rebalance()
    .map(toChecked)
    .executeAndCollect('record-classes');
}
