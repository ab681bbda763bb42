/**
 * Async I/O benchmark program: records go through AsyncDataStream.unorderedWait to a "service"
 * that answers each request after `--latency` ms (a timer), with `--capacity` requests in flight
 * per subtask. Throughput should approach capacity / latency per subtask.
 *
 *   weir run bench/async/async-program.ts -p 1 -- --records 20000 --latency 5 --capacity 100
 */
import { AsyncDataStream, StreamExecutionEnvironment, type Sink, type SinkWriter } from 'weir';

const argv = process.argv;
const arg = (name: string, dflt: number): number => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const records = arg('--records', 20_000);
const latency = arg('--latency', 5);
const capacity = arg('--capacity', 100);

/** Counts what arrives; nothing else. */
class CountingSink implements Sink<number> {
  createWriter(): SinkWriter<number> {
    return { write: () => undefined, flush: () => undefined, close: () => undefined };
  }
  describe(): string {
    return 'count';
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
AsyncDataStream.unorderedWait(
  env.fromSequence(1, records),
  (v: number) => new Promise<number>((resolve) => setTimeout(() => resolve(v), latency)),
  '60s',
  capacity,
).sinkTo(new CountingSink());
await env.execute('async-bench');
