/** Shows the arguments main() sees in the client and when replayed in a slot. */
import { StreamExecutionEnvironment } from 'weir';

const args = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
console.log(`client args: ${JSON.stringify(args)}`);
env
  .fromData('x')
  .map(() => `slot args: ${JSON.stringify(args)}`)
  .print();
await env.execute('args');
