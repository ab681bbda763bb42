/**
 * Sessions with a KeyedProcessFunction: keeps each user's open session in ValueState and an
 * event-time timer SESSION_GAP_MS after the user's last click; when the watermark passes the timer
 * (no click for that long), it emits the session's summary and clears the state.
 * Input: examples/data/clicks.ts. Output: JSON lines in output/sessions/ (or the first argument).
 *
 *   npx weir run examples/sessions.ts
 *   npx weir run examples/sessions.ts -p 2 -- my-output/
 */
import {
  KeyedProcessFunction,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedProcessContext,
  type OnTimerContext,
  type ValueState,
} from 'weir';
import { FileSink } from 'weir/connectors/file';
import { CLICKS, SESSION_GAP_MS, type Click } from './data/clicks.js';

export interface Session {
  user: string;
  /** Timestamps of the first and the last click. */
  start: number;
  end: number;
  clicks: number;
  pages: string[];
}

const [output = 'output/sessions'] = process.argv.slice(2);

class Sessionize extends KeyedProcessFunction<string, Click, Session> {
  private session!: ValueState<Session>;

  override open(): void {
    this.session = this.getRuntimeContext().getState(new ValueStateDescriptor<Session>('session'));
  }

  processElement(click: Click, ctx: KeyedProcessContext<string>, out: Collector<Session>): void {
    let s = this.session.value();
    if (s && click.ts >= s.end + SESSION_GAP_MS) {
      // the gap passed but the watermark has not reached the timer yet: the old session is over
      this.emit(s, ctx, out);
      s = undefined;
    }
    if (s) ctx.timerService().deleteEventTimeTimer(s.end + SESSION_GAP_MS);
    s = s
      ? { ...s, end: Math.max(s.end, click.ts), clicks: s.clicks + 1, pages: [...s.pages, click.page] }
      : { user: click.user, start: click.ts, end: click.ts, clicks: 1, pages: [click.page] };
    this.session.update(s);
    ctx.timerService().registerEventTimeTimer(s.end + SESSION_GAP_MS);
  }

  override onTimer(_timestamp: number, ctx: OnTimerContext<string>, out: Collector<Session>): void {
    const s = this.session.value();
    if (s) this.emit(s, ctx, out);
  }

  private emit(s: Session, ctx: KeyedProcessContext<string>, out: Collector<Session>): void {
    ctx.timerService().deleteEventTimeTimer(s.end + SESSION_GAP_MS);
    this.session.clear();
    out.collect(s);
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();

env
  .fromData(...CLICKS)
  .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Click>().withTimestampAssigner((c) => c.ts))
  .setParallelism(1)
  .keyBy((c) => c.user)
  .process(new Sessionize())
  .name('sessionize')
  .sinkTo(FileSink.jsonLines<Session>(output))
  .name('sessions');

await env.execute('sessions');
