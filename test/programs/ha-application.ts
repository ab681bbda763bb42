/**
 * An application of three sequential execute() calls for the HA tests (args: output dir, records of
 * each job, records per second, keys). Each job is a checkpointed keyed sum (200 ms checkpoints)
 * written through the two-phase-commit FileSink to `<out>/job-<i>`; main() notes each execute()'s
 * return in `<out>/main.jsonl` (on the main thread only: a TaskManager slot replays main()).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [out = 'out', countArg = '3000', rateArg = '1000', keysArg = '5'] = process.argv.slice(2);
const keys = Number(keysArg);
if (isMainThread) mkdirSync(out, { recursive: true });

for (let i = 0; i < 3; i++) {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env.setParallelism(2);
  env.enableCheckpointing(200);
  env
    .fromSource(
      new DataGeneratorSource((n) => n, Number(countArg), { ratePerSecond: Number(rateArg) }),
      WatermarkStrategy.noWatermarks<number>(),
      'numbers',
    )
    .map((n: number) => ({ k: n % keys, v: n, n: 1 }))
    .keyBy((r) => r.k)
    .reduce((a, b) => ({ k: a.k, v: a.v + b.v, n: a.n + b.n }))
    .sinkTo(FileSink.jsonLines(join(out, `job-${i}`)));
  const r = await env.execute(`ha-application-${i}`);
  if (isMainThread) appendFileSync(join(out, 'main.jsonl'), JSON.stringify({ job: i, jobId: r.jobId }) + '\n');
}
