/** Calls execute() but does not await it: main() ends before the job is submitted. */
import { StreamExecutionEnvironment } from 'weir';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromData(1, 2, 3).print();
void env.execute('not awaited');
