/**
 * A never-ending checkpointed event-time window job for the stop-with-savepoint tests (args: records
 * per second, window size ms, checkpoint interval ms): source → keyBy → tumbling event-time window →
 * print, at parallelism 2. Nothing in the window's task commits on a completed checkpoint, so once its
 * input stops nothing but the stop itself wakes it.
 */
import { StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

const [rateArg = '200', sizeArg = '1000', intervalArg = '100'] = process.argv.slice(2);
const size = Number(sizeArg);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env.enableCheckpointing(Number(intervalArg));

env
  .fromSource(
    new DataGeneratorSource((i) => i, Infinity, { ratePerSecond: Number(rateArg) }),
    WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((i) => i * 10),
    'numbers',
  )
  .uid('numbers')
  .map((i: number) => ({ k: i % 2, w: Math.floor((i * 10) / size), n: 1 }))
  .uid('records')
  .keyBy((r) => r.k)
  .window(TumblingEventTimeWindows.of(size))
  .reduce((a, b) => ({ k: a.k, w: a.w, n: a.n + b.n }))
  .uid('counts')
  .name('counts')
  .print()
  .uid('print');

await env.execute('stop-windows');
