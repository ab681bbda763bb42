/**
 * A never-ending keyed job that fails on every attempt (args: the record it fails at): source →
 * map → keyBy → reduce → print at parallelism 2, so when one subtask fails the others are running.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

const failAt = Number(process.argv[2] ?? '500');

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env
  .fromSource(new DataGeneratorSource((i) => i, Infinity, { ratePerSecond: 1000 }), WatermarkStrategy.noWatermarks(), 'numbers')
  .map((i: number) => {
    if (i === failAt) throw new Error(`bad record ${i}`);
    return { k: i % 5, n: 1 };
  })
  .name('explode')
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, n: a.n + b.n }))
  .name('counts')
  .filter(() => false)
  .print();
await env.execute('fails-keyed');
