/**
 * A job that ends while a checkpoint waits for its source enumerator (args: marker file, count).
 * Once the reader reached the end of its input it writes the marker; from then on the
 * enumerator's snapshotState holds the coordinator's thread for 300 ms, so a checkpoint triggered
 * after the final one is still waiting for the enumerator when every task has finished. The job
 * must end FINISHED: a checkpoint cut short by the end of the job is not a failed checkpoint.
 */
import fs from 'node:fs';
import { StreamExecutionEnvironment, WatermarkStrategy, type Source, type SourceSplit } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

const [marker = 'marker', countArg = '200'] = process.argv.slice(2);
const count = Number(countArg);

function endsDuringCheckpoint<T>(inner: Source<T, SourceSplit>): Source<T, SourceSplit> {
  return {
    boundedness: inner.boundedness,
    describe: () => `EndsDuringCheckpoint(${inner.describe()})`,
    createEnumerator(ctx, restored) {
      const e = inner.createEnumerator(ctx, restored);
      const snapshot = e.snapshotState.bind(e);
      e.snapshotState = (checkpointId) => {
        if (fs.existsSync(marker)) {
          const until = Date.now() + 300;
          while (Date.now() < until) {
            // holds the coordinator's thread: the snapshot answer arrives after the tasks finished
          }
        }
        return snapshot(checkpointId);
      };
      return e;
    },
    createReader(ctx) {
      const r = inner.createReader(ctx);
      const poll = r.pollNext.bind(r);
      r.pollNext = (out) => {
        const s = poll(out);
        if (s === 'END_OF_INPUT' && !fs.existsSync(marker)) fs.writeFileSync(marker, String(Date.now()));
        return s;
      };
      return r;
    },
  };
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(1);
env.enableCheckpointing(10);
await env
  .fromSource(endsDuringCheckpoint(new DataGeneratorSource((i) => i, count)), WatermarkStrategy.noWatermarks(), 'numbers')
  .keyBy((i: number) => i % 3)
  .reduce((a, b) => a + b)
  .executeAndCollect('ends-during-checkpoint');
