/**
 * Tells whether the slot workers running it ran a job before: each map subtask counts, when it
 * opens, the map subtasks opened so far in its worker's global scope, and every record carries
 * that count. With one map subtask per slot, a worker that served no other job says 1 (args: count).
 */
import { RichMapFunction, StreamExecutionEnvironment } from 'weir';

class OpensInThisWorker extends RichMapFunction<number, number> {
  private opens = 0;

  override open(): void {
    const g = globalThis as { __weirWarmPoolOpens?: number };
    this.opens = g.__weirWarmPoolOpens = (g.__weirWarmPoolOpens ?? 0) + 1;
  }

  map(): number {
    return this.opens;
  }
}

const count = Number(process.argv[2] ?? 100);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
await env.fromSequence(1, count).rebalance().map(new OpensInThisWorker()).executeAndCollect('warm-pool-isolation');
