/** print('id') and print() as Flink prints them: `id> value`, `id:N> value` and `N> value` when parallel. */
import { StreamExecutionEnvironment } from 'weir';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const words = env.fromElements('alpha', 'beta', 'gamma', 'delta');
words.rebalance().print('words');
words
  .rebalance()
  .map((w: string) => w.toUpperCase())
  .print();
await env.execute('print-id');
