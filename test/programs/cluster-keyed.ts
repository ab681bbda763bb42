/**
 * A keyed sum at parallelism 2 (args: count, keys): on two TaskManagers of one slot each, the keyBy
 * exchange crosses the TaskManagers. The collected updates end with each key's sum.
 */
import { StreamExecutionEnvironment } from 'weir';

const count = Number(process.argv[2] ?? 10_000);
const keys = Number(process.argv[3] ?? 10);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
await env
  .fromSequence(1, count)
  .map((i) => ({ k: i % keys, v: i }))
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
  .executeAndCollect('cluster-keyed');
