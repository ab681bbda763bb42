/**
 * main() computes values of the pipeline from Math.random() (no branch): a slot replaying main()
 * would run with other values, so the job must fail as non-deterministic. The last argument picks
 * where the value goes: `data` (fromData's elements) or `closure` (captured by a map function).
 */
import { StreamExecutionEnvironment } from 'weir';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const r = Math.random();
const where = process.argv[2] ?? 'data';
const s = where === 'data' ? env.fromData(1, 2, 3, r) : env.fromData(1, 2, 3).map((x: number) => x + r);
export const collected = await s.executeAndCollect('random value');
