/**
 * PostgresSink against a real PostgreSQL server (Debian's, started on loopback by
 * test/helpers/services/postgresql.ts):
 * - EXACTLY_ONCE (prepared transactions committed on checkpoint completion): a keyed job keeps
 *   writing while TaskManager processes are killed with SIGKILL; the table holds every update
 *   exactly once (row counts and sums checked with SQL) and no prepared transaction is left;
 * - AT_LEAST_ONCE with upserts on a key: a job that fails once and restores ends with the same table;
 * - bad sink options are refused when the pipeline is built, naming what is wrong.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { PostgresSink } from '../../dist/connectors/postgres/index.js';
import { startProcessCluster } from '../helpers/process-cluster.js';
import { startPostgres, type PostgresServer } from '../helpers/services/postgresql.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'postgres-keyed.ts');

let pg: PostgresServer;
const tempDirs: string[] = [];

before(async () => {
  pg = await startPostgres();
});

after(async () => {
  await pg?.stop();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `weir-${name}-`));
  tempDirs.push(d);
  return d;
}

/** Checks with SQL that `table` holds each update of records 0..count-1 exactly once. */
async function assertExactlyOnce(table: string, count: number, keys: number): Promise<void> {
  const total = await pg.query<{ rows: string; distinct_updates: string }>(
    `SELECT count(*) AS rows, count(DISTINCT (k, n)) AS distinct_updates FROM ${table}`,
  );
  assert.equal(Number(total.rows[0]!.rows), count, 'one row per record');
  assert.equal(Number(total.rows[0]!.distinct_updates), count, 'no update twice');
  const perKey = await pg.query<{ k: number; c: string; maxn: number; maxv: string }>(
    `SELECT k, count(*) AS c, max(n) AS maxn, max(v) AS maxv FROM ${table} GROUP BY k ORDER BY k`,
  );
  assert.equal(perKey.rows.length, keys);
  for (const r of perKey.rows) {
    const updates = Math.floor(count / keys) + (r.k < count % keys ? 1 : 0);
    let sum = 0;
    for (let i = r.k; i < count; i += keys) sum += i;
    assert.equal(Number(r.c), updates, `key ${r.k}: updates`);
    assert.equal(r.maxn, updates, `key ${r.k}: the last count`);
    assert.equal(Number(r.maxv), sum, `key ${r.k}: the final sum`);
  }
  const sumAll = await pg.query<{ s: string }>(`SELECT sum(maxv) AS s FROM (SELECT max(v) AS maxv FROM ${table} GROUP BY k) AS finals`);
  assert.equal(Number(sumAll.rows[0]!.s), (count * (count - 1)) / 2, 'the final sums add up to the sum of all records');
}

test('EXACTLY_ONCE: TaskManagers killed with SIGKILL; prepared transactions committed on checkpoint completion give every row once', async (t: TestContext) => {
  const started = Date.now();
  const dir = tempDir('pg-chaos');
  await pg.query('CREATE TABLE chaos (k integer NOT NULL, n integer NOT NULL, v bigint NOT NULL)');
  const KILLS = 2;
  const cluster = await startProcessCluster(dir, 2 + KILLS);
  const count = 150_000;
  const keys = 1_000;
  try {
    let jobId: string | undefined;
    const run = runProgram({
      program: PROGRAM,
      args: [pg.url, 'chaos', 'EXACTLY_ONCE', String(count), '30000', String(keys), '250'],
      cluster: cluster.jm.client,
      config: Configuration.fromEntries({
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': 2 * KILLS,
        'restart-strategy.fixed-delay.delay': '200 ms',
        'execution.checkpointing.dir': path.join(dir, 'checkpoints'),
      }),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
    await waitFor('the job to be submitted', 30_000, () => jobId !== undefined);
    const job = cluster.jm.jobManager.dispatcher.job(jobId!);
    const ended = (): boolean => ['FINISHED', 'FAILED', 'CANCELED'].includes(job.status);
    let killed = 0;
    for (let k = 0; k < KILLS; k++) {
      const attempt = job.attempt;
      const completedBefore = job.checkpointStats().counts.completed;
      await waitFor(
        'a checkpoint of the running job',
        30_000,
        () => ended() || (job.status === 'RUNNING' && job.checkpointStats().counts.completed > completedBefore),
      );
      // Not a synchronisation: a random moment, after the checkpoint, to kill at.
      await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 500)));
      if (job.status !== 'RUNNING' || job.attempt !== attempt) break;
      assert.ok(await cluster.killOneOf(job.taskManagerIds), 'a TaskManager process of the job');
      killed++;
      await waitFor('the job to fail over', 30_000, () => job.attempt > attempt || ended());
    }
    const r = await run;
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
    assert.ok(killed >= 1, 'at least one TaskManager was killed while the job ran');
    assert.ok(job.checkpointStats().counts.restored >= 1, 'the job restored from a checkpoint');
    await assertExactlyOnce('chaos', count, keys);
    const prepared = await pg.query<{ c: string }>('SELECT count(*) AS c FROM pg_prepared_xacts');
    assert.equal(Number(prepared.rows[0]!.c), 0, 'no prepared transaction is left');
    t.diagnostic(`${Date.now() - started} ms, ${killed} kills, ${job.checkpointStats().counts.completed} checkpoints`);
  } finally {
    await cluster.close();
  }
});

test('AT_LEAST_ONCE with upserts on a key: a job that fails once and restores writes each row once', async () => {
  const dir = tempDir('pg-upsert');
  await pg.query('CREATE TABLE upserts (k integer NOT NULL, n integer NOT NULL, v bigint NOT NULL, PRIMARY KEY (k, n))');
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2 });
  try {
    const count = 20_000;
    const r = await runProgram({
      program: PROGRAM,
      args: [pg.url, 'upserts', 'AT_LEAST_ONCE', String(count), '20000', '7', '150', path.join(dir, 'marker'), '12000'],
      cluster,
      config: Configuration.fromEntries({
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': 2,
        'restart-strategy.fixed-delay.delay': '100 ms',
        'execution.checkpointing.dir': path.join(dir, 'checkpoints'),
      }),
    });
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
    assert.ok(fs.existsSync(path.join(dir, 'marker')), 'the planned failure happened');
    await assertExactlyOnce('upserts', count, 7);
  } finally {
    await cluster.close();
  }
});

test('bad PostgresSink options are refused with WEIR_BAD_PIPELINE naming what is wrong', () => {
  const ok = { url: pg.url, table: 't', columns: ['a', 'b'], toRow: (x: number) => [x, x] };
  const refused = (o: object, re: RegExp): void =>
    assert.throws(
      () => new PostgresSink(o as typeof ok),
      (e: Error & { code?: string }) => e.code === 'WEIR_BAD_PIPELINE' && re.test(e.message),
    );
  refused({ ...ok, url: 'mysql://x' }, /url must be a postgresql:\/\/ URI/);
  refused({ ...ok, table: 'x; DROP TABLE y' }, /is not a table name/);
  refused({ ...ok, columns: [] }, /at least one column/);
  refused({ ...ok, keyColumns: ['c'] }, /key column 'c' is not one of the columns/);
  refused({ ...ok, batchSize: 40_000 }, /batchSize/);
  refused({ ...ok, deliveryGuarantee: 'SOMETIMES' }, /deliveryGuarantee/);
  assert.equal(
    new PostgresSink({ ...ok, keyColumns: ['a'] }).insertSql(2),
    'INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4) ON CONFLICT ("a") DO UPDATE SET "b" = EXCLUDED."b"',
  );
});
