/**
 * Flink's TopSpeedWindowing: for each car, every time it has driven another 50 m (a DeltaTrigger on
 * the distance), emit its top speed over the last 10 s (a TimeEvictor on GlobalWindows, maxBy on the
 * speed field). Records are Flink's Tuple4 as arrays: [carId, speed, distance, timestamp].
 * Input: examples/data/cars.ts. Output: JSON lines in output/top-speed-windowing/ (or the first argument).
 *
 *   npx weir run examples/top-speed-windowing.ts
 *   npx weir run examples/top-speed-windowing.ts -p 2 -- my-output/
 */
import { DeltaTrigger, GlobalWindows, StreamExecutionEnvironment, TimeEvictor, WatermarkStrategy } from 'weir';
import { FileSink } from 'weir/connectors/file';
import { CAR_EVENTS, EVICTION_SEC, TRIGGER_METERS, type CarEvent } from './data/cars.js';

const [output = 'output/top-speed-windowing'] = process.argv.slice(2);

const env = StreamExecutionEnvironment.getExecutionEnvironment();

const carData = env.fromData(...CAR_EVENTS).name('Car data'); // one reader: each car's readings in order

const topSpeeds = carData
  .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<CarEvent>().withTimestampAssigner((car) => car[3]))
  .setParallelism(1)
  .keyBy((car) => car[0])
  .window(GlobalWindows.create())
  .evictor(TimeEvictor.of(`${EVICTION_SEC}s`))
  .trigger(DeltaTrigger.of(TRIGGER_METERS, (oldDataPoint: CarEvent, newDataPoint: CarEvent) => newDataPoint[2] - oldDataPoint[2]))
  .maxBy(1)
  .name('top speeds');

topSpeeds.sinkTo(FileSink.jsonLines(output)).name('sink');

await env.execute('CarTopSpeedWindowingExample');
