/**
 * Object reuse across an in-thread exchange (test/e2e/object-reuse.test.ts; arg: 'copy' | 'reuse').
 * At parallelism 1 both tasks share a slot thread, so the keyBy between them passes records by
 * reference. The producer emits one running-sum object per key and changes it after emitting it;
 * the consumer notes whether it got the very object it got before. Without object reuse each
 * record is a copy made at emission, so the consumer sees every running sum as it was emitted.
 */
import { KeyedProcessFunction, StreamExecutionEnvironment } from 'weir';
import type { Collector, KeyedProcessContext } from 'weir';

export interface Sum {
  key: number;
  sum: number;
  count: number;
}
export interface Seen extends Sum {
  sameObject: boolean;
}

const [mode = 'copy'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(1);
if (mode === 'reuse') env.getConfig().enableObjectReuse();

/** Keeps one object per key and mutates it after emitting it (what object reuse forbids). */
class RunningSum extends KeyedProcessFunction<number, number, Sum> {
  private readonly sums = new Map<number, Sum>();
  processElement(i: number, ctx: KeyedProcessContext<number>, out: Collector<Sum>): void {
    const key = ctx.getCurrentKey();
    let s = this.sums.get(key);
    if (s === undefined) this.sums.set(key, (s = { key, sum: 0, count: 0 }));
    s.sum += i;
    s.count++;
    out.collect(s);
  }
}

class Observe extends KeyedProcessFunction<number, Sum, Seen> {
  private readonly last = new Map<number, Sum>();
  processElement(s: Sum, ctx: KeyedProcessContext<number>, out: Collector<Seen>): void {
    const key = ctx.getCurrentKey();
    const sameObject = this.last.get(key) === s;
    this.last.set(key, s);
    out.collect({ key: s.key, sum: s.sum, count: s.count, sameObject });
  }
}

export const seen: Seen[] = await env
  .fromSequence(1, 40)
  .keyBy((i: number) => i % 2)
  .process(new RunningSum())
  .keyBy((s: Sum) => s.key)
  .process(new Observe())
  .executeAndCollect('object-reuse');
