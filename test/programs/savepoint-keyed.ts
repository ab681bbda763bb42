/**
 * A checkpointed keyed job for the savepoint tests (args: out dir, count, records per second,
 * keys, checkpoint interval ms, parallelism, uid of the sums operator). Every operator has a uid,
 * so a savepoint restores into the job at another parallelism; the running sums per key go to a
 * two-phase-commit FileSink, whose committed output must hold every update exactly once.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [out = 'out', countArg = '20000', rateArg = '5000', keysArg = '7', intervalArg = '150', parallelismArg = '2', sumsUid = 'sums'] =
  process.argv.slice(2);
const keys = Number(keysArg);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(Number(parallelismArg));
env.enableCheckpointing(Number(intervalArg));

env
  .fromSource(
    new DataGeneratorSource((i) => i, Number(countArg), { ratePerSecond: Number(rateArg) }),
    WatermarkStrategy.noWatermarks(),
    'numbers',
  )
  .uid('numbers')
  .map((i: number) => ({ k: i % keys, v: i, n: 1 }))
  .uid('records')
  .name('records')
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v, n: a.n + b.n }))
  .uid(sumsUid)
  .name('sums')
  .sinkTo(FileSink.jsonLines(out))
  .uid('sink')
  .name('sink');

await env.execute('savepoint-keyed');
