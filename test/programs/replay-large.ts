/** A later job built from a large executeAndCollect() result: the result travels with the job as a blob. */
import { StreamExecutionEnvironment } from 'weir';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const words = await env
  .fromSequence(1, 40_000)
  .map((n: number) => `word-${n}-with-some-padding`)
  .executeAndCollect('large result');
const n = words.length;
export const counted = await env
  .fromData(1)
  .map(() => n)
  .executeAndCollect('uses the large result');
