/**
 * The broadcast state pattern: exchange rates are broadcast to every subtask of the operator that
 * converts payments, keyed by account, to EUR. processBroadcastElement stores each rate in the
 * broadcast state (a MapState the same on every subtask) and, with applyToKeyedState, converts the
 * payments that were waiting for it; processElement reads the rates (read-only) and converts at
 * once, or keeps the payment in keyed state until its rate arrives. EUR payments need no rate.
 * Input: examples/data/fx.ts. Output: JSON lines in output/broadcast-state/ (or the first argument).
 *
 *   npx weir run examples/broadcast-state.ts
 *   npx weir run examples/broadcast-state.ts -p 2 -- my-output/
 */
import {
  KeyedBroadcastProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  StreamExecutionEnvironment,
  type Collector,
  type KeyedBroadcastContext,
  type KeyedReadOnlyContext,
  type ListState,
} from 'weir';
import { FileSink } from 'weir/connectors/file';
import { PAYMENTS, RATES, type Payment, type Rate } from './data/fx.js';

export interface EurPayment {
  id: number;
  account: string;
  eur: number;
}

const [output = 'output/broadcast-state'] = process.argv.slice(2);

const RATES_STATE = new MapStateDescriptor<string, number>('rates');
const WAITING = new ListStateDescriptor<Payment>('waiting-for-rate');

const toEur = (p: Payment, rate: number): EurPayment => ({ id: p.id, account: p.account, eur: Math.round(p.amount * rate * 100) / 100 });

class ConvertToEur extends KeyedBroadcastProcessFunction<string, Payment, Rate, EurPayment> {
  private waiting!: ListState<Payment>;

  override open(): void {
    this.waiting = this.getRuntimeContext().getListState(WAITING);
  }

  processElement(p: Payment, ctx: KeyedReadOnlyContext<string>, out: Collector<EurPayment>): void {
    const rate = p.currency === 'EUR' ? 1 : ctx.getBroadcastState(RATES_STATE).get(p.currency);
    if (rate !== undefined) out.collect(toEur(p, rate));
    else this.waiting.add(p);
  }

  processBroadcastElement(rate: Rate, ctx: KeyedBroadcastContext<string>, out: Collector<EurPayment>): void {
    ctx.getBroadcastState(RATES_STATE).put(rate.currency, rate.toEur);
    // Payments that arrived before this rate, on every account of this subtask.
    ctx.applyToKeyedState(WAITING, (_account, waiting) => {
      const still: Payment[] = [];
      for (const p of waiting.get()) {
        if (p.currency === rate.currency) out.collect(toEur(p, rate.toEur));
        else still.push(p);
      }
      waiting.update(still);
    });
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();

const rates = env.fromData(...RATES).broadcast(RATES_STATE);

env
  .fromData(...PAYMENTS)
  .keyBy((p) => p.account)
  .connect(rates)
  .process(new ConvertToEur())
  .name('convert to EUR')
  .sinkTo(FileSink.jsonLines<EurPayment>(output))
  .name('payments in EUR');

await env.execute('broadcast-state');
