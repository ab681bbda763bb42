/**
 * A rate-limited bounded source into an exactly-once FileSink, for the operator's tests (args:
 * count, records per second, output dir): writes every number 0..count-1 once as {"i":n}; with
 * checkpointing, the sink commits its files at checkpoints, so a run stopped with a savepoint and
 * resumed from it writes each number exactly once.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [count = '1000', rate = '100', out = 'output/operator-job'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromSource(
    new DataGeneratorSource((i) => ({ i }), Number(count), { ratePerSecond: Number(rate) }),
    WatermarkStrategy.noWatermarks<{ i: number }>(),
    'numbers',
  )
  .sinkTo(FileSink.jsonLines(out));
await env.execute(`operator-job-${count}`);
