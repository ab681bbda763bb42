/**
 * Exactly-once from Kafka to Kafka on a real broker, with TaskManager processes killed by SIGKILL:
 * a job reads keyed numbers from a topic (unbounded), keeps per-key running sums and writes every
 * update to another topic with EXACTLY_ONCE (a Kafka transaction per checkpoint per subtask).
 * While the input is produced, TaskManagers of the job are killed at random moments (spare ones
 * take over and the job restores from its latest checkpoint). A read_committed reader then sees
 * every expected update exactly once: per key the counts 1..n without gap or repeat, and the
 * sums of the input.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTopic, produceJson, readCommitted, startKafka, type KafkaBroker } from '../helpers/services/kafka.js';
import { waitFor } from '../helpers/wait.js';
import {
  cancelUnlessEnded,
  killTaskManagers,
  startProcessCluster,
  submitChaosJob,
  type ProcessCluster,
} from '../helpers/process-cluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'kafka-sums.ts');
const KEYS = 7;
const KILLS = 5;

let broker: KafkaBroker;
before(async () => {
  broker = await startKafka();
});
after(async () => {
  await broker?.close();
});

interface Row {
  k: number;
  v: number;
  n: number;
}

/** Every update of `values` (keyed by v % KEYS) exactly once, per key in order of n. */
export function assertExactlyOnceSums(rows: readonly Row[], values: readonly number[]): void {
  const expected = new Map<number, number[]>();
  for (const v of values) {
    const k = v % KEYS;
    expected.set(k, [...(expected.get(k) ?? []), v]);
  }
  assert.equal(rows.length, values.length, `one update per input record (${rows.length} for ${values.length})`);
  for (const [k, vs] of expected) {
    const got = rows.filter((r) => r.k === k).sort((a, b) => a.n - b.n);
    assert.equal(got.length, vs.length, `key ${k}: updates`);
    for (let i = 0; i < got.length; i++) if (got[i]!.n !== i + 1) assert.fail(`key ${k}: update ${i + 1} is missing or repeated`);
    assert.equal(
      got.at(-1)!.v,
      vs.reduce((a, b) => a + b, 0),
      `key ${k}: final sum`,
    );
  }
}

test(`Kafka → running sums → Kafka with EXACTLY_ONCE: ${KILLS} TaskManagers killed with SIGKILL, a read_committed reader sees every update exactly once`, async (t) => {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-kafka-chaos-'));
  await createTopic(broker.bootstrap, 'chaos-in', 3);
  await createTopic(broker.bootstrap, 'chaos-out', 2);
  let cluster: ProcessCluster | undefined;
  const values: number[] = [];
  let jobId: string | undefined;
  let producing = true;
  const producer = (async () => {
    // Input arrives while the job runs and TaskManagers die: 100 records every 100 ms.
    for (let round = 0; producing && round < 2000; round++) {
      const batch = Array.from({ length: 100 }, (_, i) => values.length + i);
      await produceJson(
        broker.bootstrap,
        'chaos-in',
        batch.map((v) => ({ k: v % KEYS, v })),
        (r) => String(r.k),
      );
      values.push(...batch);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    // The job's two slots and a spare; each killed TaskManager is replaced by a new process.
    cluster = await startProcessCluster(dir, 3, { 'heartbeat.timeout': '3 s' });
    const job = await submitChaosJob(cluster, {
      program: PROGRAM,
      args: [broker.bootstrap, 'chaos-in', 'chaos-out', 'chaos', '250', 'unbounded', 'EXACTLY_ONCE'],
      kills: KILLS,
      checkpointDir: path.join(dir, 'checkpoints'),
      onSubmitted: (id) => (jobId = id),
    });
    // Each kill at a random moment (mid-transaction or during recovery), the first after a checkpoint.
    const killed = await killTaskManagers(cluster, job, {
      kills: KILLS,
      checkpoints: 'first',
      pauseMs: () => 800 + Math.floor(Math.random() * 2000),
      replace: true,
      onKill: (k, ms) =>
        t.diagnostic(`kill ${k} at ${Date.now() - started} ms, failover seen after ${ms} ms (${values.length} records produced)`),
    });
    producing = false;
    await producer;
    const expected = values.length;
    // The last updates become visible with the next completed checkpoints.
    let rows: Row[] = [];
    await waitFor(`all ${expected} updates to be committed`, 45_000, async () => {
      rows = (await readCommitted(broker.bootstrap, 'chaos-out')).map((r) => JSON.parse(r.value!.toString('utf8')) as Row);
      return rows.length >= expected;
    }).catch((e: Error) => {
      throw new Error(
        `${e.message}: ${rows.length} committed; job ${job.status}, attempt ${job.attempt}, failures ${JSON.stringify(job.exceptions.slice(-3).map((x) => x.error.message))}`,
      );
    });
    job.cancel();
    await waitFor('the job to be cancelled', 15_000, () => job.status === 'CANCELED');
    assert.equal(killed, KILLS);
    assert.ok(job.attempt >= KILLS, `the job failed over after each kill (attempt ${job.attempt})`);
    assertExactlyOnceSums(rows, values);
    t.diagnostic(
      `${expected} records, ${killed} kills, ${job.attempt} restarts, ${job.checkpointStats().counts.completed} checkpoints, ${Date.now() - started} ms`,
    );
  } finally {
    producing = false;
    await producer.catch(() => undefined);
    cancelUnlessEnded(cluster, jobId);
    await cluster?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
