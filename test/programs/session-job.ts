/**
 * A rate-limited keyed sum for session-cluster tests (args: count (or 'inf'), records per second,
 * output dir): sums i per key i % 5 and writes every update as a JSON line.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [count = '1000', rate = '1000', out = 'output/session-job'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromSource(
    new DataGeneratorSource((i) => i, count === 'inf' ? Infinity : Number(count), { ratePerSecond: Number(rate) }),
    WatermarkStrategy.noWatermarks<number>(),
    'numbers',
  )
  .map((i) => ({ k: i % 5, v: i }))
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
  .sinkTo(FileSink.jsonLines(out));
await env.execute(`session-job-${count}`);
