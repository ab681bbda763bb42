/**
 * A checkpointed keyed job for the exactly-once tests (args: out dir, marker file, record to fail at
 * (-1: never), count, records per second (0: unlimited), keys, checkpoint interval ms, file|collect). The map throws once, at the
 * chosen record, in the attempt that first sees it (the marker file remembers it across attempts);
 * the running sums per key go to a FileSink (or executeAndCollect: last arg 'collect'), whose committed
 * output must hold every update exactly once.
 */
import fs from 'node:fs';
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [
  out = 'out',
  marker = 'marker',
  failAtArg = '-1',
  countArg = '20000',
  rateArg = '10000',
  keysArg = '7',
  intervalArg = '200',
  sinkArg = 'file',
] = process.argv.slice(2);
const failAt = Number(failAtArg);
const keys = Number(keysArg);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env.enableCheckpointing(Number(intervalArg));

const sums = env
  .fromSource(
    new DataGeneratorSource((i) => i, Number(countArg), Number(rateArg) > 0 ? { ratePerSecond: Number(rateArg) } : {}),
    WatermarkStrategy.noWatermarks(),
    'numbers',
  )
  .map((i: number) => {
    if (i === failAt && !fs.existsSync(marker)) {
      fs.writeFileSync(marker, String(Date.now()));
      throw new Error(`planned failure at record ${i}`);
    }
    return { k: i % keys, v: i, n: 1 };
  })
  .name('fail once')
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v, n: a.n + b.n }))
  .name('sums');

if (sinkArg === 'collect') {
  await sums.executeAndCollect('checkpointed-keyed');
} else {
  sums.sinkTo(FileSink.jsonLines(out)).name('sink');
  await env.execute('checkpointed-keyed');
}
