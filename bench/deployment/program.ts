/**
 * The deployment benchmark's job (args: records, default 5000): a bounded sequence, a map, a keyBy
 * to a running sum per key (16 keys), and a sink that drops what it gets. Small on purpose: what is
 * measured is how long a mode takes to start and end a job, not the job's work.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

const records = Number(process.argv[2] ?? 5000);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromSource(new DataGeneratorSource((i) => i, records), WatermarkStrategy.noWatermarks<number>(), 'numbers')
  .map((i) => ({ k: i % 16, v: i }))
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
  .sinkTo({ describe: () => 'Discard', createWriter: () => ({ write: () => undefined, flush: () => undefined, close: () => undefined }) });
await env.execute('deployment-bench');
