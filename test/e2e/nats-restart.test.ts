/**
 * An unbounded NatsSource survives the NATS server stopped and started again mid-job (same port,
 * same file-backed JetStream store): two jobs, one reading through an ordered consumer and one
 * through a durable consumer, keep per-key running sums and publish them with EXACTLY_ONCE
 * (Nats-Msg-Id deduplication). After the restart the rest of the input arrives; every update is in
 * the output streams exactly once.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { startNats, type NatsServer } from '../helpers/services/nats.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'nats-sums.ts');
const KEYS = 7;

let server: NatsServer;
before(async () => {
  server = await startNats();
});
after(async () => {
  await server?.close();
});

interface Row {
  k: number;
  v: number;
  n: number;
}

function assertSums(rows: readonly Row[], count: number, what: string): void {
  assert.equal(rows.length, count, `${what}: one update per record (${rows.length} for ${count})`);
  for (let k = 0; k < KEYS; k++) {
    const xs = rows.filter((r) => r.k === k).sort((a, b) => a.n - b.n);
    for (let i = 0; i < xs.length; i++) assert.equal(xs[i]!.n, i + 1, `${what}, key ${k}: update ${i + 1} missing or repeated`);
    let total = 0;
    for (let i = k; i < count; i += KEYS) total += i;
    assert.equal(xs.at(-1)?.v ?? 0, total, `${what}, key ${k}: final sum`);
  }
}

const rowsOf = async (stream: string): Promise<Row[]> =>
  (await server.readStream(stream)).map((m) => JSON.parse(Buffer.from(m.data).toString('utf8')) as Row);
const records = (from: number, to: number): { k: number; v: number }[] =>
  Array.from({ length: to - from }, (_, i) => ({ k: (from + i) % KEYS, v: from + i }));

test('unbounded NatsSources (ordered and durable consumers) survive the server stopped and started again, EXACTLY_ONCE output without loss or repeats', async (t) => {
  const first = 2000;
  const total = 4000;
  const kinds = ['ordered', 'weir-restart'] as const;
  for (const [i] of kinds.entries()) {
    await server.createStream(`R${i}_IN`, [`r${i}.in`]);
    await server.createStream(`R${i}_OUT`, [`r${i}.out`]);
    await server.publishJson(`r${i}.in`, records(0, first));
  }
  const cluster = new LocalMiniCluster({ taskManagers: 2, slotsPerTaskManager: 2 });
  const jobIds: string[] = [];
  const runs: Promise<unknown>[] = [];
  // One program at a time until it submitted its job: a program reads its arguments from process.argv.
  for (const [i, consumer] of kinds.entries()) {
    const run = runProgram({
      program: PROGRAM,
      args: [server.url, `R${i}_IN`, `r${i}.out`, `restart-${i}`, '300', 'unbounded', 'EXACTLY_ONCE', consumer],
      cluster,
      config: Configuration.fromEntries({
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': 50,
        'restart-strategy.fixed-delay.delay': '500 ms',
      }),
      listener: { onSubmitted: (j) => jobIds.push(j.jobId) },
    });
    run.catch(() => undefined);
    runs.push(run);
    await waitFor(`job ${i} to be submitted`, 30_000, () => jobIds.length === i + 1);
  }
  try {
    for (const [i] of kinds.entries()) {
      let n = 0;
      await waitFor(
        `the first records of job ${i} to be published`,
        60_000,
        async () => (n = (await rowsOf(`R${i}_OUT`)).length) >= first,
      ).catch((e: Error) => {
        const jobs = jobIds.map((id) => cluster.jobManager.dispatcher.job(id));
        throw new Error(
          `${e.message}: ${n} published; jobs ${JSON.stringify(jobs.map((j) => [j.status, j.exceptions.slice(-2).map((x) => x.error.message)]))}`,
        );
      });
    }
    await server.stop();
    // Down for a while: fetches and publishes fail or wait meanwhile.
    await new Promise((r) => setTimeout(r, 3000));
    await server.start();
    for (const [i] of kinds.entries()) await server.publishJson(`r${i}.in`, records(first, total));
    for (const [i, kind] of kinds.entries()) {
      let rows: Row[] = [];
      await waitFor(`every update of job ${i} (${kind}) after the restart`, 60_000, async () => {
        rows = await rowsOf(`R${i}_OUT`).catch(() => []);
        return rows.length >= total;
      });
      assertSums(rows, total, kind);
    }
    const attempts = jobIds.map((id) => cluster.jobManager.dispatcher.job(id).attempt);
    t.diagnostic(`restarts of the jobs while the server was away: ${attempts.join(', ')}`);
  } finally {
    for (const id of jobIds) {
      const job = cluster.jobManager.dispatcher.job(id);
      if (!['FINISHED', 'FAILED', 'CANCELED'].includes(job.status)) job.cancel();
    }
    await Promise.all(runs.map((r) => r.catch(() => undefined)));
    await cluster.close();
  }
});
