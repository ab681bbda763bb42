/**
 * A fast source feeding a deliberately slow sink (each write of a batch of 64 records waits 1 ms):
 * with credit-based flow control the source must slow down to the sink's pace, and memory must
 * stay bounded. Runs until cancelled.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { SlowSink } from './slow-sink-lib.js';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(1);
env
  .fromSource(new DataGeneratorSource((i) => ({ id: i, payload: 'x'.repeat(200) }), 1e12), WatermarkStrategy.noWatermarks(), 'fast source')
  .map((r) => r)
  .name('pass')
  .disableChaining()
  .sinkTo(new SlowSink<{ id: number; payload: string }>())
  .name('slow sink')
  .disableChaining();
await env.execute('backpressure');
