/**
 * A program that cancels its own job through its JobClient (executeAsync(), then cancel()) and
 * returns normally: `weir run` exits 0.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromSource(new DataGeneratorSource((i) => i, Infinity, { ratePerSecond: 100 }), WatermarkStrategy.noWatermarks<number>(), 'numbers')
  .map((i) => i * 2)
  .print();
const client = await env.executeAsync('self-cancel');
for (let i = 0; i < 600 && (await client.getJobStatus()) !== 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 100));
await client.cancel();
console.log(`cancelled job ${client.jobId}`);
