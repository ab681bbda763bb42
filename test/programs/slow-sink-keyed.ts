/**
 * A fast source, a keyBy, and a deliberately slow sink (each write of 64 records waits 1 ms), at
 * parallelism 2: on two TaskManagers of one slot each, half the records cross between the
 * processes, and the sink's slowness must reach the sources through the TCP data connection.
 * Runs until cancelled.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { SlowSink } from './slow-sink-lib.js';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env
  .fromSource(new DataGeneratorSource((i) => ({ id: i, payload: 'x'.repeat(200) }), 1e12), WatermarkStrategy.noWatermarks(), 'fast source')
  .keyBy((r) => r.id % 1000)
  .sinkTo(new SlowSink<{ id: number; payload: string }>())
  .name('slow sink');
await env.execute('backpressure across processes');
