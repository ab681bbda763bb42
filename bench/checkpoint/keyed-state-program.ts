/**
 * The job of the checkpoint benchmark's throughput-dip and recovery measurements: numbers from a data
 * generator (optionally rate-limited) → keyBy(i mod keys) → a KeyedProcessFunction that keeps a small
 * object per key in ValueState → a sink that keeps no records.
 *
 *   weir run bench/checkpoint/keyed-state-program.ts -- --records 5000000 --keys 1000000 --out /tmp/dip
 *
 * The sink (one JSON file per subtask in --out at the end of input, `sink-<subtask>.json`) reports:
 * - records per time bucket (`--bucket-ms`, buckets numbered by wall-clock time, Date.now() / bucket
 *   ms, so the subtasks' buckets and the JobManager's checkpoint timestamps line up);
 * - the count of every key at its end: the keyed function knows how many records each key gets and
 *   marks an update *final* once the key's count in state reached it; the sink keeps the highest final
 *   count per key in its checkpointed writer state. After failovers every key has a final count and
 *   they add up to --records exactly when keyed state lost and repeated no update.
 */
import {
  KeyedProcessFunction,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedProcessContext,
  type Sink,
  type SinkWriter,
  type SinkWriterContext,
  type ValueState,
} from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const argv = process.argv;
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const records = Number(opt('records', '5000000'));
const keys = Number(opt('keys', '1000000'));
const rate = Number(opt('rate', '0'));
const out = opt('out', 'checkpoint-bench-out');
const bucketMs = Number(opt('bucket-ms', '100'));

interface Counter {
  count: number;
  sum: number;
  last: number;
}

/** What the keyed function emits: the key, its count so far, and whether the count reached the key's share of the records. */
interface Update {
  k: number;
  n: number;
  fin: boolean;
}

/** What each sink subtask writes at the end of its input. */
export interface SinkReport {
  subtask: number;
  attempt: number;
  /** Records this attempt's writer received. */
  received: number;
  bucketMs: number;
  /** [bucket (Date.now() / bucketMs, floored), records received in it]. */
  buckets: [number, number][];
  /** Keys whose final record reached this subtask (over all attempts), and the sum of their counts. */
  finalKeys: number;
  finalCountSum: number;
}

class CountPerKey extends KeyedProcessFunction<number, number, Update> {
  private counter!: ValueState<Counter>;

  override open(): void {
    this.counter = this.getRuntimeContext().getState(new ValueStateDescriptor<Counter>('counter'));
  }

  override processElement(i: number, _ctx: KeyedProcessContext<number>, out: Collector<Update>): void {
    const c = this.counter.value();
    const next: Counter = c === undefined ? { count: 1, sum: i, last: i } : { count: c.count + 1, sum: c.sum + i, last: i };
    this.counter.update(next);
    const k = i % keys;
    out.collect({ k, n: next.count, fin: next.count >= Math.floor((records - 1 - k) / keys) + 1 });
  }
}

type Finals = [key: number, count: number][];

class BucketSink implements Sink<Update, never, Finals> {
  constructor(
    private readonly dir: string,
    private readonly bucketMs: number,
  ) {}

  createWriter(ctx: SinkWriterContext, restored?: Finals[]): SinkWriter<Update, never, Finals> {
    mkdirSync(this.dir, { recursive: true });
    const finals = new Map<number, number>();
    for (const part of restored ?? []) for (const [k, n] of part) finals.set(k, n);
    const buckets = new Map<number, number>();
    const size = this.bucketMs;
    const file = join(this.dir, `sink-${ctx.subtaskIndex}.json`);
    let received = 0;
    let bucket = -1;
    let inBucket = 0;
    const close = (): void => {
      if (inBucket > 0) buckets.set(bucket, (buckets.get(bucket) ?? 0) + inBucket);
      inBucket = 0;
    };
    return {
      write(u: Update): void {
        received++;
        const b = Math.floor(Date.now() / size);
        if (b !== bucket) {
          close();
          bucket = b;
        }
        inBucket++;
        if (u.fin && u.n > (finals.get(u.k) ?? 0)) finals.set(u.k, u.n);
      },
      flush(endOfInput: boolean): void {
        if (!endOfInput) return;
        close();
        let sum = 0;
        for (const n of finals.values()) sum += n;
        const report: SinkReport = {
          subtask: ctx.subtaskIndex,
          attempt: ctx.attempt,
          received,
          bucketMs: size,
          buckets: [...buckets.entries()].sort((a, b) => a[0] - b[0]),
          finalKeys: finals.size,
          finalCountSum: sum,
        };
        writeFileSync(file, JSON.stringify(report));
      },
      snapshotState: (): Finals[] => [[...finals.entries()]],
      close(): void {},
    };
  }

  describe(): string {
    return `BucketSink(${this.dir})`;
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromSource(
    new DataGeneratorSource((i) => i, records, rate > 0 ? { ratePerSecond: rate } : {}),
    WatermarkStrategy.noWatermarks(),
    'numbers',
  )
  .keyBy((i: number) => i % keys)
  .process(new CountPerKey())
  .name('count per key')
  .uid('count-per-key')
  .sinkTo(new BucketSink(out, bucketMs))
  .name('buckets')
  .uid('buckets');
await env.execute('checkpoint-bench');
