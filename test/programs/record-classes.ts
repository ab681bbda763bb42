/**
 * Records that are class instances (test/e2e/record-classes.test.ts; args: case, parallelism).
 * Orders cross a keyBy, sit in keyed state (serialized by the lsm backend) and cross a rebalance;
 * each step checks they are still Orders with their methods. 'unregistered' skips registerType.
 */
import { KeyedProcessFunction, StreamExecutionEnvironment, ValueStateDescriptor } from 'weir';
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

const [which = 'registered', parallelismArg = '1'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(Number(parallelismArg));
if (which === 'registered') env.registerType(Order);

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

export const result: Checked[] = await env
  .fromSequence(1, 300)
  .setParallelism(1)
  .map((i: number) => new Order(i, (i % 5) + 1, (i % 7) + 1))
  .setParallelism(1) // one producer: each key's orders arrive in order
  .keyBy((o: Order) => o.id % 11)
  .process(new Previous())
  .rebalance()
  .map((r) => ({
    id: r.order.id,
    total: r.order.total(),
    prevTotal: r.prev === null ? null : r.prev.total(),
    classes: r.ok && r.order instanceof Order && (r.prev === null || r.prev instanceof Order),
  }))
  .executeAndCollect('record-classes');
