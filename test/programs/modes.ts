/**
 * Execution: the same bounded pipelines in STREAMING and in BATCH (the test compares the final
 * value per key; out-of-order input has late records only in STREAMING), execute() resolving with a JobExecutionResult, executeAsync() with a JobClient
 * (status while running and after the end, result, cancel), executeAndCollect() with a limit.
 */
import {
  KeyedProcessFunction,
  OutputTag,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type JobStatus,
  type KeyedProcessContext,
  type OnTimerContext,
  type ValueState,
} from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { LATE_EVENTS, WINDOW_EVENTS, type Ev } from './data.js';
import { out } from './lib.js';

/** Counts per key and reports the count from an event-time timer at the end of input. */
class FinalCount extends KeyedProcessFunction<string, Ev, object> {
  private count!: ValueState<number>;
  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('n', 0));
  }
  processElement(_e: Ev, ctx: KeyedProcessContext<string>, _o: Collector<object>): void {
    this.count.update(this.count.value()! + 1);
    ctx.timerService().registerEventTimeTimer(100_000);
  }
  override onTimer(_t: number, ctx: OnTimerContext<string>, o: Collector<object>): void {
    o.collect({ key: ctx.getCurrentKey(), count: this.count.value() });
  }
}

export const results: Record<string, { jobId: string; jobName: string; netRuntime: number }> = {};
for (const mode of ['STREAMING', 'BATCH'] as const) {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env.setRuntimeMode(mode);
  const events = env
    .fromData(...WINDOW_EVENTS)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts))
    .setParallelism(1);
  const keyed = events.keyBy((e) => e.key);
  keyed.reduce((a, b) => ({ ...a, v: a.v + b.v, ts: Math.max(a.ts, b.ts) })).sinkTo(out(`${mode}/reduce`));
  keyed.sum('v').sinkTo(out(`${mode}/sum`));
  keyed.maxBy('v').sinkTo(out(`${mode}/maxBy`));
  keyed
    .window(TumblingEventTimeWindows.of(5000))
    .reduce(
      (a, b) => ({ ...a, v: a.v + b.v }),
      (key: string, ctx, [r], o: Collector<object>) => o.collect({ key, start: ctx.window().start, v: r!.v }),
    )
    .sinkTo(out(`${mode}/windows`));
  keyed.process(new FinalCount()).sinkTo(out(`${mode}/timers`));
  // out-of-order input under a punctuated watermark: STREAMING drops late records to the side
  // output; BATCH has no watermark but the final one, so every window gets all its records
  const late = new OutputTag<{ ts: number }>('late');
  const windows = env
    .fromData(...LATE_EVENTS.map((ts) => ({ ts })))
    .assignTimestampsAndWatermarks(
      WatermarkStrategy.forGenerator<{ ts: number }>(() => {
        let max = Number.MIN_SAFE_INTEGER;
        return { onEvent: (_e, ts, o) => o.emitWatermark((max = Math.max(max, ts))), onPeriodicEmit: () => {} };
      }).withTimestampAssigner((e) => e.ts),
    )
    .setParallelism(1)
    .keyBy(() => 'k')
    .window(TumblingEventTimeWindows.of(5000))
    .sideOutputLateData(late)
    .process((_k: string, ctx, elements, o: Collector<object>) => o.collect({ start: ctx.window().start, count: elements.length }));
  windows.sinkTo(out(`${mode}/out-of-order`));
  windows.getSideOutput(late).sinkTo(out(`${mode}/out-of-order-late`));
  const r = await env.execute(`mode ${mode}`);
  results[mode] = { jobId: r.jobId, jobName: r.jobName, netRuntime: r.netRuntime };
}

// executeAsync: a JobClient for a job that runs ~0.3 s
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromSource(new DataGeneratorSource((i) => i, 30, { ratePerSecond: 100 }), WatermarkStrategy.noWatermarks<number>(), 'slow')
  .map((i) => i * 2)
  .sinkTo(out('async'));
const client = await env.executeAsync('async job');
const statusWhileRunning: JobStatus = await client.getJobStatus();
const asyncResult = await client.getJobExecutionResult();
export const asyncJob = {
  jobId: client.jobId,
  statusWhileRunning,
  statusAfter: await client.getJobStatus(),
  resultJobId: asyncResult.jobId,
  resultJobName: asyncResult.jobName,
};

// cancel(): an unbounded job, cancelled while it runs
const unbounded = StreamExecutionEnvironment.getExecutionEnvironment();
unbounded
  .fromSource(new DataGeneratorSource((i) => i, Infinity, { ratePerSecond: 1000 }), WatermarkStrategy.noWatermarks<number>(), 'endless')
  .filter(() => false)
  .sinkTo(out('never'));
const endless = await unbounded.executeAsync('endless job');
// Cancelled once it runs (bounded: at most 30 s of polling).
for (let i = 0; i < 600 && (await endless.getJobStatus()) !== 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 50));
const statusBeforeCancel = await endless.getJobStatus();
await endless.cancel();
let cancelError: string | undefined;
try {
  await endless.getJobExecutionResult();
} catch (e) {
  cancelError = e instanceof Error ? e.message : String(e);
}
export const cancelled = { statusBeforeCancel, statusAfter: await endless.getJobStatus(), cancelError: cancelError ?? null };

// executeAndCollect, whole and limited
const c = StreamExecutionEnvironment.getExecutionEnvironment();
export const collectedAll = await c
  .fromSequence(1, 25)
  .map((n) => n * n)
  .executeAndCollect('collect all');
export const collectedLimited = await c.fromData('x', 'y', 'z', 'w').executeAndCollect('collect 2', 2);
