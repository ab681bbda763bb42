/**
 * User accumulators (args: mode, count, records per second (0: unlimited)): a rich map registers
 * an IntCounter, a LongCounter, a DoubleCounter and a Histogram and adds to them for every record
 * of 0..count-1; main() prints the job's accumulators as one JSON line `ACCUMULATORS {...}`.
 * Mode 'duplicate' registers one name twice (the job fails).
 */
import { DoubleCounter, Histogram, IntCounter, LongCounter, RichMapFunction, StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';

const [mode = 'ok', countArg = '1000', rateArg = '0'] = process.argv.slice(2);

class Counting extends RichMapFunction<number, number> {
  private readonly records = new IntCounter();
  private readonly sum = new LongCounter();
  private readonly halves = new DoubleCounter();
  private readonly mod3 = new Histogram();

  override open(): void {
    const ctx = this.getRuntimeContext();
    ctx.addAccumulator('records', this.records);
    ctx.addAccumulator('sum', this.sum);
    ctx.addAccumulator('halves', this.halves);
    ctx.addAccumulator('mod3', this.mod3);
    if (mode === 'duplicate') ctx.addAccumulator('records', new IntCounter());
  }

  map(i: number): number {
    this.records.add(1);
    this.sum.add(i);
    this.halves.add(0.5);
    this.mod3.add(i % 3);
    // The get-or-create helpers share the registry: the same counter under the same name.
    this.getRuntimeContext().getLongCounter('helper').add(2);
    return i;
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
const rate = Number(rateArg);
env
  .fromSource(
    new DataGeneratorSource((i) => i, Number(countArg), rate > 0 ? { ratePerSecond: rate } : {}),
    WatermarkStrategy.noWatermarks<number>(),
    'numbers',
  )
  .map(new Counting())
  .name('counting')
  .filter(() => false)
  .print();
const result = await env.execute('accumulators');
console.log(`ACCUMULATORS ${JSON.stringify(result.accumulators)}`);
