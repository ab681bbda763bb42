/**
 * Event-time windows: counts sensor readings per sensor in 10 s tumbling windows although the
 * readings arrive out of order. A punctuated watermark generator trails the largest timestamp by
 * 3 s; windows keep accepting late readings for 5 s more (allowedLateness) and fire again with the
 * updated count; readings later than that go to a side output instead of being dropped.
 * Input: examples/data/sensor-events.ts. Output: JSON lines in output/event-time-windows/windows/
 * and output/event-time-windows/late/ (or under the first argument).
 *
 *   npx weir run examples/event-time-windows.ts
 *   npx weir run examples/event-time-windows.ts -p 2 -- my-output/
 */
import {
  OutputTag,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type WatermarkGenerator,
} from 'weir';
import { FileSink } from 'weir/connectors/file';
import { ALLOWED_LATENESS_MS, OUT_OF_ORDERNESS_MS, SENSOR_READINGS, WINDOW_MS, type SensorReading } from './data/sensor-events.js';

export interface WindowCount {
  sensor: string;
  start: number;
  end: number;
  count: number;
}

const [output = 'output/event-time-windows'] = process.argv.slice(2);

/** Emits `max timestamp - bound` after every reading, so where the watermark stands never depends on timing. */
function punctuatedWatermarks(bound: number): WatermarkGenerator<SensorReading> {
  let maxTs = Number.MIN_SAFE_INTEGER;
  return {
    onEvent(_reading, timestamp, out) {
      maxTs = Math.max(maxTs, timestamp);
      out.emitWatermark(maxTs - bound);
    },
    onPeriodicEmit() {},
  };
}

const countReadings: AggregateFunction<SensorReading, number, number> = {
  createAccumulator: () => 0,
  add: (_r, acc) => acc + 1,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
};

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const lateReadings = new OutputTag<SensorReading>('late-readings');

const counts = env
  .fromData(...SENSOR_READINGS)
  .assignTimestampsAndWatermarks(
    WatermarkStrategy.forGenerator(() => punctuatedWatermarks(OUT_OF_ORDERNESS_MS)).withTimestampAssigner((r) => r.ts),
  )
  .setParallelism(1) // one watermark generator sees the readings in arrival order
  .keyBy((r) => r.sensor)
  .window(TumblingEventTimeWindows.of(WINDOW_MS))
  .allowedLateness(ALLOWED_LATENESS_MS)
  .sideOutputLateData(lateReadings)
  .aggregate(countReadings, (sensor: string, ctx, [count], out: Collector<WindowCount>) => {
    const w = ctx.window();
    out.collect({ sensor, start: w.start, end: w.end, count: count! });
  })
  .name('count per sensor and window');

counts.sinkTo(FileSink.jsonLines<WindowCount>(`${output}/windows`)).name('window counts');
counts
  .getSideOutput(lateReadings)
  .sinkTo(FileSink.jsonLines<SensorReading>(`${output}/late`))
  .name('late readings');

await env.execute('event-time-windows');
