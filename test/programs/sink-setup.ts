/**
 * A job whose sink cannot be set up (args: 'file <dir>' for a FileSink into dir, or 'hang' for a
 * sink whose writer never comes): the task must fail with a clear error, not hang INITIALIZING.
 */
import { StreamExecutionEnvironment } from 'weir';
import { FileSink } from 'weir/connectors/file';

const [mode = 'hang', dir = '/proc/weir-test'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(1);
const numbers = env.fromSequence(1, 100);
if (mode === 'file') numbers.sinkTo(FileSink.jsonLines(dir));
else
  numbers.sinkTo({
    createWriter: () => new Promise<never>(() => undefined),
    describe: () => 'NeverReadySink',
  });
await env.execute(`sink-setup-${mode}`);
