/**
 * Event-time windows for the stop --drain tests (args: out dir, records, window size, records per
 * second, checkpoint interval ms). The source never ends, but only records 0..records-1 pass the
 * filter and carry timestamps (record i at time i), so once they are through, the last window stays
 * open: only a MAX_WATERMARK (stop --drain) fires it. Per key (i % 2) and window the job counts the
 * records into a two-phase-commit FileSink.
 */
import { StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [out = 'out', recordsArg = '10500', sizeArg = '1000', rateArg = '20000', intervalArg = '100'] = process.argv.slice(2);
const records = Number(recordsArg);
const size = Number(sizeArg);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env.enableCheckpointing(Number(intervalArg));

env
  .fromSource(new DataGeneratorSource((i) => i, Infinity, { ratePerSecond: Number(rateArg) }), WatermarkStrategy.noWatermarks(), 'numbers')
  .uid('numbers')
  .filter((i: number) => i < records)
  .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((i) => i))
  .map((i: number) => ({ k: i % 2, w: Math.floor(i / size), n: 1 }))
  .uid('records')
  .keyBy((r) => r.k)
  .window(TumblingEventTimeWindows.of(size))
  .reduce((a, b) => ({ k: a.k, w: a.w, n: a.n + b.n }))
  .uid('counts')
  .name('counts')
  .sinkTo(FileSink.jsonLines(out))
  .uid('sink')
  .name('sink');

await env.execute('drain-windows');
