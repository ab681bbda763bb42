/** A user function that throws on one record: the job fails naming the operator and subtask. */
import { StreamExecutionEnvironment } from 'weir';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromSequence(1, 1000)
  .map((n: number) => {
    if (n === 700) throw new Error(`bad record ${n}`);
    return n;
  })
  .name('explode')
  .print();
await env.execute('throws');
