/**
 * Time: event-time timers (registered, deduplicated, deleted), processing-time timers in STREAMING
 * (a rate-limited source keeps the job alive past them) and in BATCH (they fire at the end of
 * input), watermark strategies (forMonotonousTimestamps, forBoundedOutOfOrderness with a timestamp
 * assigner, withIdleness). One job per case; the cases to run are the program's CASES arguments.
 */
import {
  KeyedProcessFunction,
  MAX_WATERMARK,
  MIN_WATERMARK,
  OutputTag,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedProcessContext,
  type OnTimerContext,
  type ProcessContext,
  type ValueState,
} from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { CASES, out } from './lib.js';

export interface Ev {
  key: string;
  ts: number;
}

/** Event-time timer inputs: per key, timers at ts + 100; ts % 7 === 0 also registers and deletes one at ts + 50. */
export const TIMER_EVENTS: Ev[] = [0, 30, 70, 70, 140, 150, 210, 260, 300, 301].map((ts, i) => ({ key: `k${i % 3}`, ts }));

const cases = new Set(CASES.length ? CASES : ['event-timers', 'processing-timers', 'batch-timers', 'watermarks', 'idleness']);

if (cases.has('event-timers')) {
  class EventTimers extends KeyedProcessFunction<string, Ev, object> {
    processElement(e: Ev, ctx: KeyedProcessContext<string>, o: Collector<object>): void {
      ctx.timerService().registerEventTimeTimer(e.ts + 100);
      ctx.timerService().registerEventTimeTimer(e.ts + 100); // the same timer twice fires once
      if (e.ts % 7 === 0) {
        ctx.timerService().registerEventTimeTimer(e.ts + 50);
        ctx.timerService().deleteEventTimeTimer(e.ts + 50);
      }
      o.collect({ kind: 'element', key: ctx.getCurrentKey(), ts: ctx.timestamp() });
    }
    override onTimer(t: number, ctx: OnTimerContext<string>, o: Collector<object>): void {
      o.collect({
        kind: 'timer',
        key: ctx.getCurrentKey(),
        timer: t,
        domain: ctx.timeDomain(),
        ctxTimestamp: ctx.timestamp(),
        watermarkReached: ctx.timerService().currentWatermark() >= t,
      });
    }
  }
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env
    .fromData(...TIMER_EVENTS)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts))
    .setParallelism(1)
    .keyBy((e) => e.key)
    .process(new EventTimers())
    // records emitted in onTimer carry the timer's time as their timestamp
    .process((v: object, ctx: ProcessContext, o: Collector<object>) => o.collect({ ...v, recordTs: ctx.timestamp() ?? null }))
    .sinkTo(out('event-timers'));
  await env.execute('event-timers');
}

if (cases.has('processing-timers')) {
  /**
   * Records 0..19 register a timer 10 ms after their emission time; records 20..99 (at 100/s from
   * one reader: 0.8 s more) keep the job running well past those timers, even if this operator
   * starts late and gets the first records in a burst. Every fifth record also registers and deletes
   * a timer far ahead.
   */
  type Tick = { i: number; at: number };
  class ProcessingTimers extends KeyedProcessFunction<number, Tick, object> {
    processElement(t: Tick, ctx: KeyedProcessContext<number>, o: Collector<object>): void {
      if (t.i < 20) {
        ctx.timerService().registerProcessingTimeTimer(t.at + 10);
        o.collect({ kind: 'registered', key: ctx.getCurrentKey(), time: t.at + 10 });
      }
      if (t.i % 5 === 0) {
        ctx.timerService().registerProcessingTimeTimer(t.at + 60_000);
        ctx.timerService().deleteProcessingTimeTimer(t.at + 60_000);
      }
    }
    override onTimer(t: number, ctx: OnTimerContext<number>, o: Collector<object>): void {
      o.collect({
        kind: 'fired',
        key: ctx.getCurrentKey(),
        time: t,
        domain: ctx.timeDomain(),
        due: ctx.timerService().currentProcessingTime() >= t,
      });
    }
  }
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env
    .fromSource(
      new DataGeneratorSource((i): Tick => ({ i, at: Date.now() }), 100, { ratePerSecond: 100 }),
      WatermarkStrategy.noWatermarks<Tick>(),
      'ticks',
    )
    .setParallelism(1)
    .keyBy((t) => t.i % 3)
    .process(new ProcessingTimers())
    .sinkTo(out('processing-timers'));
  await env.execute('processing-timers');
}

if (cases.has('batch-timers')) {
  /** BATCH: far-away processing-time timers fire at the end of input, after event time jumped to the end. */
  class BatchTimers extends KeyedProcessFunction<string, Ev, object> {
    private count!: ValueState<number>;
    override open(): void {
      this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count', 0));
    }
    processElement(_e: Ev, ctx: KeyedProcessContext<string>, _o: Collector<object>): void {
      const n = this.count.value()!;
      if (n === 0) {
        ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 3_600_000);
        ctx.timerService().registerEventTimeTimer(1_000_000);
      }
      this.count.update(n + 1);
    }
    override onTimer(t: number, ctx: OnTimerContext<string>, o: Collector<object>): void {
      o.collect({
        key: ctx.getCurrentKey(),
        domain: ctx.timeDomain(),
        count: this.count.value(),
        watermark: ctx.timerService().currentWatermark() === MAX_WATERMARK ? 'MAX' : ctx.timerService().currentWatermark(),
        eventTimer: ctx.timeDomain() === 'EVENT_TIME' ? t : null,
      });
    }
  }
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env.setRuntimeMode('BATCH');
  env
    .fromData(...TIMER_EVENTS)
    .keyBy((e) => e.key)
    .process(new BatchTimers())
    .sinkTo(out('batch-timers'));
  await env.execute('batch-timers');
}

/** Watermark strategies on a rate-limited parallel source (each reader's indexes ascend). */
export const BOUND_MS = 50;
export const monotonousTs = (i: number): number => i * 10;
/** Out of order by at most 45 ms < BOUND_MS. */
export const jitteredTs = (i: number): number => i * 10 - (i % 4) * 15;

if (cases.has('watermarks')) {
  /** Reports each record's timestamp with the watermark the keyed operator had when the record came. */
  const observe = (v: { i: number }, ctx: KeyedProcessContext<number>, o: Collector<object>): void => {
    const wm = ctx.timerService().currentWatermark();
    o.collect({ i: v.i, ts: ctx.timestamp(), watermark: wm === MIN_WATERMARK ? null : wm });
  };
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env.setAutoWatermarkInterval(5);
  const source = (): DataGeneratorSource<{ i: number }> => new DataGeneratorSource((i) => ({ i }), 60, { ratePerSecond: 300 });
  env
    .fromSource(
      source(),
      WatermarkStrategy.forMonotonousTimestamps<{ i: number }>().withTimestampAssigner((v) => monotonousTs(v.i)),
      'mono',
    )
    .keyBy((v) => v.i % 2)
    .process(observe)
    .sinkTo(out('monotonous'));
  env
    .fromSource(
      source(),
      WatermarkStrategy.forBoundedOutOfOrderness<{ i: number }>(BOUND_MS).withTimestampAssigner((v, previous) => {
        if (previous !== undefined) throw new Error('a datagen record has no timestamp before the assigner');
        return jitteredTs(v.i);
      }),
      'bounded',
    )
    .keyBy((v) => v.i % 2)
    .process(observe)
    .sinkTo(out('bounded'));
  await env.execute('watermarks');
}

/**
 * Idleness: a busy source (A: 40 records, 80/s, ts = i s, ~0.5 s) is unioned with a slow one (B:
 * 2 records with timestamps 0 and 1, at 1/s: the first after ~1 s). With B.withIdleness, B stops
 * holding the watermark back: A's 5 s windows fire while A runs, and B's records come too late for
 * their window (late side output). Without idleness (the control pipeline) B holds the watermark
 * at its start until the end of input: every window fires at the end, with B's records in [0, 5 s).
 */
export const IDLE_A_COUNT = 40;
if (cases.has('idleness')) {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env.setAutoWatermarkInterval(10);
  for (const idle of [true, false]) {
    const name = idle ? 'with-idleness' : 'without-idleness';
    type E = { src: string; ts: number };
    const strategy = WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner((e) => e.ts);
    const a = env.fromSource(
      new DataGeneratorSource((i): E => ({ src: 'A', ts: i * 1000 }), IDLE_A_COUNT, { ratePerSecond: 80 }),
      strategy,
      `A ${name}`,
    );
    const b = env
      .fromSource(
        new DataGeneratorSource((i): E => ({ src: 'B', ts: i }), 2, { ratePerSecond: 1 }),
        idle ? strategy.withIdleness(100) : strategy,
        `B ${name}`,
      )
      .setParallelism(1);
    const late = new OutputTag<E>('late');
    const windows = a
      .union(b)
      .keyBy(() => 'all')
      .window(TumblingEventTimeWindows.of(5000))
      .sideOutputLateData(late)
      .process((_k: string, ctx, elements, o: Collector<object>) => {
        o.collect({ start: ctx.window().start, count: elements.length, early: ctx.currentWatermark() < MAX_WATERMARK });
      });
    windows.sinkTo(out(name));
    windows.getSideOutput(late).sinkTo(out(`${name}-late`));
  }
  await env.execute('idleness');
}
