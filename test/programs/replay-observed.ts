/**
 * main() builds later jobs from what earlier executions gave it: an executeAndCollect() result and
 * the statuses a JobClient reported. The slots replaying main() must see the same, so each later
 * job computes what the client expects.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const numbers = await env.fromSequence(1, 10).executeAndCollect('numbers');
// The five largest: 6..10 in the client; a replay that saw no numbers would keep 1..10.
const min = numbers.length > 0 ? Math.max(...numbers) - 4 : 1;
export const fromEarlierResult = (
  await env
    .fromSequence(1, 10)
    .filter((n: number) => n >= min)
    .executeAndCollect('from an earlier result')
).sort((a, b) => a - b);

// An endless job, polled while it runs, then cancelled.
env
  .fromSource(
    new DataGeneratorSource((i: number) => i, Infinity, { ratePerSecond: 100 }),
    WatermarkStrategy.noWatermarks<number>(),
    'endless',
  )
  .filter(() => false)
  .print();
const client = await env.executeAsync('polled job');
const seen: string[] = [];
const deadline = Date.now() + 30_000;
for (let s = await client.getJobStatus(); ; s = await client.getJobStatus()) {
  if (seen.at(-1) !== s) seen.push(s);
  if (s === 'RUNNING' || Date.now() > deadline) break;
  await new Promise((r) => setTimeout(r, 10));
}
await client.cancel();
let outcome = 'no error';
try {
  await client.getJobExecutionResult();
} catch (e) {
  outcome = (e as { code?: string }).code ?? 'error';
}
const observed = `${seen.join('>')} ${outcome}`;
export const fromObservedStatus = await env
  .fromData(1)
  .map(() => observed)
  .executeAndCollect('from observed statuses');
export const clientObserved = observed;
