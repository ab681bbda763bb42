/** The program of DESIGN §5, verbatim: it must type-check and run unchanged. */
import {
  StreamExecutionEnvironment, WatermarkStrategy,
  TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows,
} from 'weir';
import { FileSource, FileSink } from 'weir/connectors/file';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env.enableCheckpointing(1_000);

env.fromSource(FileSource.lines('input/'), WatermarkStrategy.noWatermarks(), 'lines')
  .flatMap((line: string, out) => { for (const w of line.split(/\W+/)) if (w) out.collect(w); })
  .map((w) => ({ word: w.toLowerCase(), n: 1 }))
  .keyBy((r) => r.word)
  .reduce((a, b) => ({ word: a.word, n: a.n + b.n }))
  .sinkTo(FileSink.jsonLines('output/'))
  .name('counts');

await env.execute('word-count');
void [TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows];
