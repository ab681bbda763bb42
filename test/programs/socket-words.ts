/** Counts words read from a TCP server (Flink's socketTextStream); the port is the first argument. */
import { StreamExecutionEnvironment } from 'weir';

const [port = '9999'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
export const counts = await env
  .socketTextStream('127.0.0.1', Number(port))
  .flatMap<string>((line: string, out) => line.split(' ').forEach((w) => w && out.collect(w)))
  .keyBy((w) => w)
  .map((w) => [w, 1] as [string, number])
  .keyBy((t) => t[0])
  .sum(1)
  .executeAndCollect('socket words');
