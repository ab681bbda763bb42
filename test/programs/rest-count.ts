/**
 * A small bounded job for the REST tests: sums 1..n per key (x % 3) in BATCH mode and collects the
 * three sums. Arguments: job name, n, parallelism.
 */
import { StreamExecutionEnvironment } from 'weir';

const [name = 'rest-count', n = '1000', p = '1'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setRuntimeMode('BATCH');
env.setParallelism(Number(p));
const sums = await env
  .fromSequence(1, Number(n))
  .map((x) => ({ k: x % 3, v: x }))
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
  .executeAndCollect(name);
console.log(`sums: ${JSON.stringify(sums.sort((a, b) => a.k - b.k))}`);
