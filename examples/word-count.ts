/**
 * Word count: reads text files line by line, splits them into words and keeps a running count per
 * word. Input: examples/data/words/ (or the first argument); output: JSON lines in
 * output/word-count/ (or the second argument), one part file per subtask.
 *
 *   npx weir run examples/word-count.ts
 *   npx weir run examples/word-count.ts -p 2 -- my-texts/ my-output/
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { FileSink, FileSource } from 'weir/connectors/file';

const [input = 'examples/data/words', output = 'output/word-count'] = process.argv.slice(2);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setRuntimeMode('BATCH');

env
  .fromSource(FileSource.lines(input), WatermarkStrategy.noWatermarks<string>(), 'lines')
  .flatMap((line: string, out) => {
    for (const w of line.split(/\W+/)) if (w) out.collect(w);
  })
  .map((w: string) => ({ word: w.toLowerCase(), n: 1 }))
  .keyBy((r) => r.word)
  .reduce((a, b) => ({ word: a.word, n: a.n + b.n }))
  .sinkTo(FileSink.jsonLines(output))
  .name('counts');

await env.execute('word-count');
