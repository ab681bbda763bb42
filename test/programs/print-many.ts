/** Several print() sinks: every record each receives must reach stdout before the job is reported finished. */
import { StreamExecutionEnvironment } from 'weir';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const n = Number(process.argv[2] ?? 40);
const xs = Array.from({ length: n }, (_, i) => i);
env
  .fromData(...xs)
  .map((x: number) => `a-${x}`)
  .print();
env
  .fromData(...xs)
  .map((x: number) => `-${x}`)
  .print('B');
env
  .fromData(...xs)
  .map((x: number) => `c-${x}`)
  .rebalance()
  .print();
await env.execute('print-many');
