/**
 * Throughput of PostgresSink, in this process: the job of pg-program.ts on the local mini-cluster;
 * records per second from submission to the end of the job, then the table's row count checked.
 * Prints one JSON line prefixed `RESULT `.
 *
 *   node --import tsx bench/storage/measure-pg.ts --url postgresql://... --guarantee EXACTLY_ONCE --records 200000 [--upsert]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { Configuration } from '../../dist/config/index.js';

const argv = process.argv;
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const url = opt('url', '');
const guarantee = opt('guarantee', 'AT_LEAST_ONCE');
const records = Number(opt('records', '200000'));
const upsert = argv.includes('--upsert');
const table = `bench_${process.pid}`;

const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query(`CREATE TABLE ${table} (id bigint ${upsert ? 'PRIMARY KEY' : 'NOT NULL'}, k integer NOT NULL, v bigint NOT NULL)`);
const cluster = new LocalMiniCluster({ slotsPerTaskManager: 1 });
const program = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pg-program.ts');
const t0 = performance.now();
const r = await runProgram({
  program,
  args: [url, table, guarantee, String(records), upsert ? '1' : '0'],
  cluster,
  config: Configuration.fromEntries({}),
});
const seconds = (performance.now() - t0) / 1000;
await cluster.close();
if (r.results[0]?.status !== 'FINISHED') throw new Error(`the job ended ${r.results[0]?.status}: ${JSON.stringify(r.results[0]?.error)}`);
const rows = Number((await client.query<{ c: string }>(`SELECT count(*) AS c FROM ${table}`)).rows[0]!.c);
await client.query(`DROP TABLE ${table}`);
await client.end();
if (rows !== records) throw new Error(`${rows} rows for ${records} records`);
process.stdout.write(
  `RESULT ${JSON.stringify({ guarantee, upsert, records, seconds: Math.round(seconds * 100) / 100, recordsPerSecond: Math.round(records / seconds) })}\n`,
);
process.exit(0);
