/**
 * Asynchronous I/O against an HTTP service: each order's unit price comes from a price service,
 * asked with fetch() from a RichAsyncFunction, up to 20 requests in flight per subtask, results in
 * completion order (unorderedWait). The service fails the first request for some products with
 * 503; a fixed-delay retry strategy asks again. Requests still in flight at a checkpoint are part
 * of it and are sent again after a restore.
 *
 * The example starts the price service itself, on a free port of 127.0.0.1, in the process that
 * runs main() (the embedded local cluster's slots find its address in the environment). With a
 * remote cluster, run a service elsewhere and give its URL as the second argument.
 * Input: examples/data/prices.ts. Output: JSON lines in output/async-io/ (or the first argument).
 *
 *   npx weir run examples/async-io.ts
 *   npx weir run examples/async-io.ts -p 2 -- my-output/
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { AsyncDataStream, AsyncRetryStrategies, RichAsyncFunction, StreamExecutionEnvironment, type ResultFuture } from 'weir';
import { FileSink } from 'weir/connectors/file';
import { ORDERS, PRICES, type Order } from './data/prices.js';

export interface PricedOrder {
  orderId: number;
  sku: number;
  quantity: number;
  totalCents: number;
}

const [output = 'output/async-io', serviceArg] = process.argv.slice(2);
const URL_VARIABLE = 'WEIR_EXAMPLE_PRICE_SERVICE';

/** The price service: GET /price/<sku> answers {"sku", "cents"} after a few ms; every 5th product's first request gets a 503. */
function startPriceService(): Promise<http.Server> {
  const refusedOnce = new Set<number>();
  const server = http.createServer((req, res) => {
    const sku = Number(/^\/price\/(\d+)$/.exec(req.url ?? '')?.[1]);
    if (!Number.isInteger(sku) || PRICES[sku] === undefined) {
      res.writeHead(404).end();
      return;
    }
    if (sku % 5 === 0 && !refusedOnce.has(sku)) {
      refusedOnce.add(sku);
      res.writeHead(503).end();
      return;
    }
    setTimeout(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sku, cents: PRICES[sku] })),
      2 + (sku % 7),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

class PriceLookup extends RichAsyncFunction<Order, PricedOrder> {
  constructor(private readonly service: string) {
    super();
  }
  async asyncInvoke(order: Order, result: ResultFuture<PricedOrder>): Promise<void> {
    const res = await fetch(`${this.service}/price/${order.sku}`);
    if (!res.ok) throw new Error(`price service answered ${res.status} for sku ${order.sku}`);
    const { cents } = (await res.json()) as { cents: number };
    result.complete([{ orderId: order.orderId, sku: order.sku, quantity: order.quantity, totalCents: cents * order.quantity }]);
  }
}

// The service runs where main() first runs; the slots replaying main() read its address from the environment.
let server: http.Server | undefined;
if (serviceArg === undefined && process.env[URL_VARIABLE] === undefined && isMainThread) {
  server = await startPriceService();
  process.env[URL_VARIABLE] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const service = serviceArg ?? process.env[URL_VARIABLE] ?? 'http://127.0.0.1:8080';

const env = StreamExecutionEnvironment.getExecutionEnvironment();

const retry = new AsyncRetryStrategies.FixedDelayRetryStrategyBuilder<PricedOrder>(3, 20).ifException(() => true).build();

const orders = env.fromData(...ORDERS).rebalance();
AsyncDataStream.unorderedWaitWithRetry(orders, new PriceLookup(service), '10s', 20, retry)
  .name('price lookup')
  .sinkTo(FileSink.jsonLines<PricedOrder>(output))
  .name('priced orders');

try {
  await env.execute('async-io');
} finally {
  if (server) {
    server.close();
    delete process.env[URL_VARIABLE];
  }
}
