/**
 * Nexmark queries as a Weir program (run with runProgram or `weir run`):
 *
 *   weir run bench/nexmark/weir-program.ts -p 2 -- --query q5 --events 1000000 --out /tmp/nexmark
 *   weir run bench/nexmark/weir-program.ts -p 2 -- --query q0,q3,q5 --events 100000 --out /tmp/nexmark
 *
 * `--query` takes one query, a comma-separated list or `all`; several queries form one job (one
 * source each). Each query's checksum goes to `<out>/<query>/` as one part file per sink subtask
 * (see weir-sink.ts).
 */
import { StreamExecutionEnvironment } from 'weir';
import { isQueryName, QUERIES, QUERY_INFO, type QueryName } from './queries.js';
import { buildQuery } from './weir-queries.js';
import { ChecksumSink } from './weir-sink.js';

function arg(name: string, fallback?: string): string {
  const argv = process.argv;
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

const spec = arg('query');
const queries: QueryName[] = [];
for (const q of spec === 'all' ? QUERIES : spec.split(',')) {
  if (!isQueryName(q)) throw new Error(`unknown query '${q}' (queries: ${QUERIES.join(', ')})`);
  queries.push(q);
}
const events = Number(arg('events'));
const rate = Number(arg('rate', '10000'));
const out = arg('out');

const env = StreamExecutionEnvironment.getExecutionEnvironment();
for (const q of queries) {
  const info = QUERY_INFO[q];
  buildQuery(env, q, { events, ratePerSecond: rate })
    .sinkTo(new ChecksumSink<never>(`${out}/${q}`, info.hash, info.upsertKey))
    .name(`${q} checksum`);
}
await env.execute(`nexmark-${queries.join('-')}`);
