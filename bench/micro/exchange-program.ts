/**
 * Keyed-exchange micro-benchmark: small records {key, value} go through a hash shuffle (keyBy)
 * between the subtasks of two slots into a checksumming sink. Half of the records stay in their
 * slot (still serialized: every keyBy edge is a network channel), half cross to the other.
 *
 *   weir run bench/micro/exchange-program.ts -p 2 -- --records 5000000 --out /tmp/exchange
 */
import { StreamExecutionEnvironment } from 'weir';
import { hashEnd, hashNum } from '../nexmark/checksum.js';
import { ChecksumSink } from '../nexmark/weir-sink.js';

const argv = process.argv;
const records = Number(argv[argv.indexOf('--records') + 1]);
const out = argv[argv.indexOf('--out') + 1]!;

interface Rec {
  key: number;
  value: number;
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env
  .fromSequence(0, records - 1)
  .map((i: number): Rec => ({ key: i, value: i * 3 }))
  .keyBy((r: Rec) => r.key)
  .sinkTo(new ChecksumSink<Rec>(out, (r) => hashEnd(hashNum(hashNum(0, r.key), r.value))))
  .name('checksum');
await env.execute('keyed-exchange');
