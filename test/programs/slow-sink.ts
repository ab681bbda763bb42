/**
 * A fast source feeding a deliberately slow sink (each write of a batch of 64 records waits 1 ms):
 * with credit-based flow control the source must slow down to the sink's pace, and memory must
 * stay bounded. Runs until cancelled.
 */
import { StreamExecutionEnvironment, WatermarkStrategy, type Sink, type SinkWriter } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

class SlowSink implements Sink<{ id: number; payload: string }> {
  describe(): string {
    return 'SlowSink';
  }
  createWriter(): SinkWriter<{ id: number; payload: string }> {
    let n = 0;
    return {
      write: () => (++n % 64 === 0 ? new Promise<void>((r) => setTimeout(r, 1)) : undefined),
      flush: () => undefined,
      close: () => undefined,
    };
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(1);
env
  .fromSource(new DataGeneratorSource((i) => ({ id: i, payload: 'x'.repeat(200) }), 1e12), WatermarkStrategy.noWatermarks(), 'fast source')
  .map((r) => r)
  .name('pass')
  .disableChaining()
  .sinkTo(new SlowSink())
  .name('slow sink')
  .disableChaining();
await env.execute('backpressure');
