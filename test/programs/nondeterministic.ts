/** main() builds a different pipeline in a TaskManager slot than in the client. */
import { isMainThread } from 'node:worker_threads';
import { StreamExecutionEnvironment } from 'weir';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
let s = env.fromData(1, 2, 3).map((x: number) => x + 1);
if (!isMainThread) s = s.filter((x: number) => x > 1);
s.print();
await env.execute('nondeterministic');
