/**
 * A rate-limited keyed sum (args: name, parallelism, count, records per second, keys), for jobs
 * that run long enough to lose a TaskManager while they run. Record i is i; the collected updates
 * end with each key's sum.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

const [name = 'cluster-datagen', parallelism = '2', count = '5000', rate = '1000', keys = '7'] = process.argv.slice(2);
const k = Number(keys);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(Number(parallelism));
await env
  .fromSource(
    new DataGeneratorSource((i) => i, Number(count), { ratePerSecond: Number(rate) }),
    WatermarkStrategy.noWatermarks(),
    'generator',
  )
  .map((i: number) => ({ k: i % k, v: i }))
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
  .executeAndCollect(name);
