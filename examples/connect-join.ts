/**
 * Joining two streams with connect(): orders and customers, keyed by customer id, meet in a
 * KeyedCoProcessFunction. It keeps the customer in ValueState and buffers orders in ListState until
 * their customer arrives, so the join works whichever side comes first. Orders whose customer
 * never shows up are never emitted (an inner join).
 * Input: examples/data/shop.ts. Output: JSON lines in output/connect-join/ (or the first argument),
 * and printed to stdout.
 *
 *   npx weir run examples/connect-join.ts
 *   npx weir run examples/connect-join.ts -p 2 -- my-output/
 */
import {
  KeyedCoProcessFunction,
  ListStateDescriptor,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type ListState,
  type ValueState,
} from 'weir';
import { FileSink } from 'weir/connectors/file';
import { CUSTOMERS, ORDERS, type Customer, type Order } from './data/shop.js';

export interface EnrichedOrder {
  orderId: number;
  amount: number;
  customerId: string;
  name: string;
  country: string;
}

const [output = 'output/connect-join'] = process.argv.slice(2);

class EnrichOrders extends KeyedCoProcessFunction<string, Order, Customer, EnrichedOrder> {
  private customer!: ValueState<Customer>;
  private waiting!: ListState<Order>;

  override open(): void {
    const ctx = this.getRuntimeContext();
    this.customer = ctx.getState(new ValueStateDescriptor<Customer>('customer'));
    this.waiting = ctx.getListState(new ListStateDescriptor<Order>('orders-waiting'));
  }

  processElement1(order: Order, _ctx: KeyedProcessContext<string>, out: Collector<EnrichedOrder>): void {
    const customer = this.customer.value();
    if (customer) out.collect(enrich(order, customer));
    else this.waiting.add(order);
  }

  processElement2(customer: Customer, _ctx: KeyedProcessContext<string>, out: Collector<EnrichedOrder>): void {
    this.customer.update(customer);
    for (const order of this.waiting.get()) out.collect(enrich(order, customer));
    this.waiting.clear();
  }
}

function enrich(o: Order, c: Customer): EnrichedOrder {
  return { orderId: o.orderId, amount: o.amount, customerId: c.customerId, name: c.name, country: c.country };
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();

const orders = env.fromData(...ORDERS);
const customers = env.fromData(...CUSTOMERS);

const enriched = orders
  .connect(customers)
  .keyBy(
    (o) => o.customerId,
    (c) => c.customerId,
  )
  .process(new EnrichOrders())
  .name('enrich orders');

enriched.sinkTo(FileSink.jsonLines<EnrichedOrder>(output)).name('enriched orders');
enriched.print('order');

await env.execute('connect-join');
