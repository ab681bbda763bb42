/**
 * Backpressure benchmark: a source that could produce millions of records per second feeds,
 * through a keyed exchange, a sink that takes ~`--rate` records per second (it waits 10 ms after
 * every rate/100 records). Credit-based flow control must hold the source back: memory stays flat
 * while the sink is the bottleneck.
 *
 *   weir run bench/micro/backpressure-program.ts -p 2 -- --records 1000000 --rate 100000
 */
import { StreamExecutionEnvironment, type Sink, type SinkWriter, type SinkWriterContext } from 'weir';

const argv = process.argv;
const records = Number(argv[argv.indexOf('--records') + 1]);
const rate = Number(argv[argv.indexOf('--rate') + 1]);
const TICK_MS = 10;

interface Rec {
  key: number;
  payload: string;
}

/** Writes nothing; every few records it makes the task wait TICK_MS, so all subtasks together take `rate` records/s. */
class SlowSink implements Sink<Rec> {
  constructor(private readonly rate: number) {}
  createWriter(ctx: SinkWriterContext): SinkWriter<Rec> {
    let n = 0;
    const perTick = Math.max(1, Math.round((this.rate * TICK_MS) / 1000 / ctx.parallelism));
    return {
      write(): void | Promise<void> {
        if (++n % perTick === 0) return new Promise((r) => setTimeout(r, TICK_MS));
      },
      flush(): void {},
      close(): void {},
    };
  }
  describe(): string {
    return 'SlowSink';
  }
}

const PAYLOAD = 'x'.repeat(200);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromSequence(0, records - 1)
  .map((i: number): Rec => ({ key: i, payload: PAYLOAD }))
  .keyBy((r: Rec) => r.key)
  .sinkTo(new SlowSink(rate))
  .name('slow sink');
await env.execute('backpressure');
