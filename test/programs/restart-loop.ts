/**
 * A job that fails in every attempt (args: a marker file): the first attempt with one cause, every
 * later one with another, so a restart loop shows two distinct causes.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { StreamExecutionEnvironment } from 'weir';

const [marker = 'output/restart-loop-marker'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromSequence(1, 1000)
  .map((n: number) => {
    if (n === 10) {
      if (!existsSync(marker)) {
        writeFileSync(marker, 'failed once\n');
        throw new Error('first attempt broke');
      }
      throw new Error('later attempt broke');
    }
    return n;
  })
  .name('explode')
  .print();
await env.execute('restart-loop');
