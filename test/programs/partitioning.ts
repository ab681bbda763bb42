/**
 * Partitioners: each stream goes through a rich map that tags records with the subtask that got
 * them, so the test can check what each partitioner promises (broadcast: every subtask sees every
 * record; global: only subtask 0; rebalance: round robin; rescale: local groups; shuffle: all
 * records once; forward: same subtask index; keyBy: one subtask per key). Also per-operator
 * setParallelism, name and uid.
 */
import { RichMapFunction, StreamExecutionEnvironment } from 'weir';
import { out, PARALLELISM } from './lib.js';

export const N = 60;

export interface Tagged {
  n: number;
  subtask: number;
  of: number;
  from?: number;
}

/** Tags each record with the receiving subtask (and keeps a tag from upstream in `from`). */
class Where extends RichMapFunction<number | Tagged, Tagged> {
  map(v: number | Tagged): Tagged {
    const ctx = this.getRuntimeContext();
    const t: Tagged = { n: typeof v === 'number' ? v : v.n, subtask: ctx.getIndexOfThisSubtask(), of: ctx.getNumberOfParallelSubtasks() };
    if (typeof v !== 'number') t.from = v.subtask;
    return t;
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const one = env.fromData(...Array.from({ length: N }, (_, i) => i)); // parallelism 1
const par = env.fromSequence(0, N - 1); // parallel source

one.broadcast().map(new Where()).name('after broadcast').sinkTo(out('broadcast'));
par.global().map(new Where()).sinkTo(out('global'));
one.rebalance().map(new Where()).sinkTo(out('rebalance'));
one.shuffle().map(new Where()).sinkTo(out('shuffle'));
// rescale from PARALLELISM upstream subtasks (each with records) to twice as many downstream ones
one
  .rebalance()
  .map(new Where())
  .rescale()
  .map(new Where())
  .setParallelism(2 * PARALLELISM)
  .sinkTo(out('rescale'));
// forward across a chain boundary: the downstream subtask has the upstream's index
one.rebalance().map(new Where()).forward().map(new Where()).disableChaining().sinkTo(out('forward'));
// keyBy: every key on one subtask
par
  .keyBy((n) => n % 7)
  .map(new Where())
  .sinkTo(out('key-by'));
// an explicit operator parallelism, name and uid
one
  .rebalance()
  .map(new Where())
  .setParallelism(3)
  .name('three-way map')
  .uid('three-way-map')
  .sinkTo(out('parallelism-3'))
  .name('three-way sink')
  .setParallelism(1);

await env.execute('partitioning');
