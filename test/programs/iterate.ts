/** Calls DataStream.iterate(), which Weir does not provide (Flink 2.0 removed it). */
import { StreamExecutionEnvironment } from 'weir';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const it = env.fromElements(1, 2, 3).iterate();
it.print();
await env.execute('iterate');
