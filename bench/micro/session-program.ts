/** A small unbounded job for the session-latency benchmark: slow numbers into a discarding sink. */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromSource(new DataGeneratorSource((i) => i, Infinity, { ratePerSecond: 100 }), WatermarkStrategy.noWatermarks<number>(), 'numbers')
  .map((i) => i * 2)
  .sinkTo({ describe: () => 'Discard', createWriter: () => ({ write: () => undefined, flush: () => undefined, close: () => undefined }) });
await env.execute('session-latency');
