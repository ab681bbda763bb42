/**
 * A steady job for the metrics tests: a rate-limited generator, a chained map that counts what it
 * sees in a user counter (`app.processedEvents`) and a histogram, a filter, a keyBy to a reduce,
 * and a sink that drops what it gets. Parallelism 2; runs until cancelled.
 */
import {
  RichMapFunction,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type Counter,
  type MetricHistogram,
  type RuntimeContext,
  type Sink,
} from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

interface Event {
  id: number;
  key: number;
  n: number;
}

class CountingMap extends RichMapFunction<Event, Event> {
  private processed!: Counter;
  private sizes!: MetricHistogram;
  override open(ctx: RuntimeContext): void {
    const group = ctx.getMetricGroup().addGroup('app');
    this.processed = group.counter('processedEvents');
    this.sizes = group.histogram('keySizes');
  }
  map(e: Event): Event {
    this.processed.inc();
    this.sizes.update(e.key);
    return e;
  }
}

const discard: Sink<Event> = {
  describe: () => 'discard',
  createWriter: () => ({ write: () => undefined, flush: () => undefined, close: () => undefined }),
};

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env
  .fromSource(
    new DataGeneratorSource((i) => ({ id: i, key: i % 50, n: 1 }), Infinity, { ratePerSecond: 2000 }),
    WatermarkStrategy.noWatermarks(),
    'events',
  )
  .map(new CountingMap())
  .name('count')
  .filter((e) => e.id % 10 !== 0)
  .name('drop tenth')
  .keyBy((e) => e.key)
  .reduce((a, b) => ({ id: b.id, key: a.key, n: a.n + b.n }))
  .name('sum per key')
  .sinkTo(discard)
  .name('discard');
await env.execute('metrics job');
