/**
 * A checkpointed, endless keyed sum for the dashboard tests (args: output dir, records per
 * second): event time with watermarks, so every vertex has rates, busy time and a watermark.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [out = 'output/dashboard-job', rate = '2000'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.enableCheckpointing(1000);
env
  .fromSource(
    new DataGeneratorSource((i) => ({ t: Date.now(), v: i }), Infinity, { ratePerSecond: Number(rate) }),
    WatermarkStrategy.forBoundedOutOfOrderness<{ t: number; v: number }>(200).withTimestampAssigner((e) => e.t),
    'events',
  )
  .map((e) => ({ k: e.v % 7, v: e.v }))
  .name('to keyed')
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
  .name('sum per key')
  .sinkTo(FileSink.jsonLines(out));
await env.execute('dashboard-job');
