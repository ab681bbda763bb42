/**
 * A fast source, a keyBy, and a deliberately slow sink (each write of 64 records waits 1 ms), at
 * parallelism 2: on two TaskManagers of one slot each, half the records cross between the
 * processes, and the sink's slowness must reach the sources through the TCP data connection.
 * Runs until cancelled.
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
env.setParallelism(2);
env
  .fromSource(new DataGeneratorSource((i) => ({ id: i, payload: 'x'.repeat(200) }), 1e12), WatermarkStrategy.noWatermarks(), 'fast source')
  .keyBy((r) => r.id % 1000)
  .sinkTo(new SlowSink())
  .name('slow sink');
await env.execute('backpressure across processes');
