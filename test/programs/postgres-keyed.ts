/**
 * A checkpointed keyed job writing to PostgreSQL (args: url, table, delivery guarantee, count,
 * records per second, keys, checkpoint interval ms, marker file, record to fail at (-1: never)):
 * the running count and sum per key, one row per update (k, n, v); with AT_LEAST_ONCE the rows
 * are upserts on (k, n). The map throws once at the chosen record (the marker file remembers it).
 */
import fs from 'node:fs';
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { PostgresSink, type DeliveryGuarantee } from 'weir/connectors/postgres';

const [
  url = '',
  table = 'sums',
  guarantee = 'EXACTLY_ONCE',
  countArg = '20000',
  rateArg = '10000',
  keysArg = '7',
  intervalArg = '200',
  marker = 'marker',
  failAtArg = '-1',
] = process.argv.slice(2);
const keys = Number(keysArg);
const failAt = Number(failAtArg);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env.enableCheckpointing(Number(intervalArg));

env
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
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v, n: a.n + b.n }))
  .name('sums')
  .sinkTo(
    new PostgresSink<{ k: number; v: number; n: number }>({
      url,
      table,
      columns: ['k', 'n', 'v'],
      toRow: (r) => [r.k, r.n, r.v],
      ...(guarantee === 'AT_LEAST_ONCE' ? { keyColumns: ['k', 'n'] } : {}),
      batchSize: 500,
      deliveryGuarantee: guarantee as DeliveryGuarantee,
    }),
  )
  .name('postgres');

await env.execute('postgres-keyed');
