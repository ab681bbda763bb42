/**
 * An application that calls execute() twice, then executeAsync() twice (args: output dir). It
 * records in `<out>/order.jsonl` what main() saw, in order: each execute() returning with its job
 * id, each executeAsync() returning, and the two asynchronous jobs' results. (A TaskManager slot
 * replays main() up to its job's execute(), in a worker thread, where the earlier calls return
 * what they returned in plan mode; only main()'s run in plan mode, on the main thread, writes lines.)
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [out = 'output/application-multi'] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const note = (event: string, jobId: string): void => {
  if (isMainThread) appendFileSync(join(out, 'order.jsonl'), JSON.stringify({ event, jobId, at: Date.now() }) + '\n');
};

function pipeline(name: string, count: number): StreamExecutionEnvironment {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env
    .fromSource(new DataGeneratorSource((i) => i, count, { ratePerSecond: 2000 }), WatermarkStrategy.noWatermarks<number>(), name)
    .map((i) => ({ k: i % 3, v: i }))
    .keyBy((r) => r.k)
    .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
    .sinkTo(FileSink.jsonLines(join(out, name)));
  return env;
}

const first = await pipeline('first', 300).execute('first');
note('execute-returned', first.jobId);
const second = await pipeline('second', 300).execute('second');
note('execute-returned', second.jobId);
const third = await pipeline('third', 600).executeAsync('third');
note('executeAsync-returned', third.jobId);
const fourth = await pipeline('fourth', 600).executeAsync('fourth');
note('executeAsync-returned', fourth.jobId);
for (const c of [third, fourth]) note('async-result', (await c.getJobExecutionResult()).jobId);
