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

export class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  norm1(): number {
    return Math.abs(this.x) + Math.abs(this.y);
  }
}

/** A plain record with class instances in a field and in an array field ('nested-*' cases). */
export interface Trip {
  id: number;
  from: Point;
  stops: Point[];
}

export interface CheckedTrip {
  id: number;
  length: number;
  classes: boolean;
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
if (which === 'nested-registered') env.registerType(Point);

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
export let trips: CheckedTrip[] = [];
if (which.startsWith('nested-')) {
  // 'nested-registered' | 'nested-field' | 'nested-array': Points inside otherwise plain records
  // cross a rebalance and a keyBy; unregistered ones must fail the job, registered ones keep their class.
  const trip = (i: number): Trip =>
    which === 'nested-array'
      ? ({ id: i, stops: [{ x: i, y: 0 }, new Point(0, i)] } as unknown as Trip)
      : which === 'nested-field'
        ? ({ id: i, from: new Point(i, -i), stops: [] } as Trip)
        : { id: i, from: new Point(i, -i), stops: [new Point(1, i), new Point(i, 2)] };
  const isPoint = (p: unknown): boolean => p instanceof Point;
  trips = await env
    .fromSequence(1, 200)
    .setParallelism(1)
    .map(trip)
    .setParallelism(1)
    .rebalance()
    .map((t: Trip) => ({ ...t, ok: isPoint(t.from) && t.stops.every(isPoint) }))
    .keyBy((t: Trip & { ok: boolean }) => t.id % 7)
    .map((t: Trip & { ok: boolean }): CheckedTrip => ({
      id: t.id,
      length: t.from.norm1() + t.stops.reduce((a, p) => a + p.norm1(), 0),
      classes: t.ok && isPoint(t.from) && t.stops.every(isPoint),
    }))
    .executeAndCollect('record-classes-nested');
} else if (which === 'savepoint') {
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
