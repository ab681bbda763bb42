/**
 * executeAndCollect() as in Flink: one collect subtask that keeps the order of a parallelism-1
 * stream, a limit applied while the job runs (an unbounded source returns), and every call shape.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
export const ordered = await env.fromData('a', 'b', 'c', 'd', 'e', 'f', 'g').executeAndCollect();
export const orderedMapped = await env
  .fromData('a', 'b', 'c', 'd', 'e', 'f', 'g')
  .map((s: string) => s.toUpperCase())
  .setParallelism(1)
  .executeAndCollect('upper');
const endless = (): ReturnType<typeof env.fromSource<number>> =>
  env.fromSource(
    new DataGeneratorSource((i: number) => i, Infinity, { ratePerSecond: 2000 }),
    WatermarkStrategy.noWatermarks<number>(),
    'endless',
  );
export const limitOnly = await endless().executeAndCollect(5);
export const namedLimit = await endless()
  .map((i: number) => i * 2)
  .executeAndCollect('named limit', 3);
export const boundedLimit = await env.fromData(1, 2, 3, 4).executeAndCollect(10);
