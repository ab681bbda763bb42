/**
 * Exactly-once checkpoints and recovery, end to end.
 *
 * - On the local mini-cluster: a checkpointed keyed job (parallelism 2, rate-limited source) whose
 *   user function throws once, after checkpoints completed; with fixed-delay restarts the job
 *   restores from the latest checkpoint and the committed FileSink output holds every update
 *   exactly once.
 * - Chaos on a cluster of processes: one million records at parallelism 2 while TaskManager
 *   processes are killed with SIGKILL at random moments (spare TaskManagers take over); the
 *   committed output is again exactly the expected one. It runs on the hashmap backend and on the
 *   lsm backend with incremental checkpoints (restored from the shared table files).
 *
 * The output check: the job emits, per key, running (count, sum) records; exactly once means the
 * counts of each key are 1..N with no gap and no repeat, and the last sum is the key's total.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { waitFor } from '../helpers/wait.js';
import { killTaskManagers, startProcessCluster, type ProcessCluster } from '../helpers/process-cluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'checkpointed-keyed.ts');
const KEYS = 7;

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `weir-${name}-`));
  tempDirs.push(d);
  return d;
}

/** The records of the committed part files of `out` (only committed part files may be there). */
function committed(out: string): Row[] {
  const files = fs.readdirSync(out);
  assert.deepEqual(
    files.filter((f) => !/^part-\d+-\d+-\d+\.jsonl$/.test(f)),
    [],
    'only committed part files are left (no in-progress file of a failed attempt)',
  );
  const rows: Row[] = [];
  for (const f of files) {
    const text = fs.readFileSync(path.join(out, f), 'utf8');
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; start = end + 1, end = text.indexOf('\n', start))
      rows.push(JSON.parse(text.slice(start, end)) as Row);
  }
  return rows;
}

interface Row {
  k: number;
  v: number;
  n: number;
}

/** Checks that `rows` hold each update of records 0..count-1 exactly once. */
function assertExactlyOnce(rows: readonly Row[], count: number, keys = KEYS): void {
  assert.equal(rows.length, count, `one update per record (${rows.length} for ${count} records)`);
  const byKey: { n: number; v: number }[][] = Array.from({ length: keys }, () => []);
  for (const o of rows) byKey[o.k]!.push({ n: o.n, v: o.v });
  for (let k = 0; k < keys; k++) {
    const xs = byKey[k]!.sort((a, b) => a.n - b.n);
    const expectedCount = Math.floor(count / keys) + (k < count % keys ? 1 : 0);
    let total = 0;
    for (let i = k; i < count; i += keys) total += i;
    assert.equal(xs.length, expectedCount, `key ${k}: updates`);
    for (let i = 0; i < xs.length; i++) if (xs[i]!.n !== i + 1) assert.fail(`key ${k}: update ${i + 1} is missing or repeated`);
    assert.equal(xs.at(-1)!.v, total, `key ${k}: final sum`);
  }
}

test('a user function fails once: the job restores from the latest checkpoint and the committed output is exactly once', async () => {
  const dir = tempDir('checkpointing');
  const out = path.join(dir, 'out');
  const marker = path.join(dir, 'failed-once');
  const checkpoints = path.join(dir, 'checkpoints');
  const count = 20_000;
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2 });
  let jobId = '';
  try {
    const r = await runProgram({
      program: PROGRAM,
      // Fail at record 12 000: about 1.2 s into the job at 10 000 records/s, checkpoints every 200 ms.
      args: [out, marker, '12000', String(count), '10000', String(KEYS), '200'],
      cluster,
      config: Configuration.fromEntries({
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': 2,
        'restart-strategy.fixed-delay.delay': '100 ms',
        'execution.checkpointing.dir': `file://${checkpoints}`,
        'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION',
      }),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
    const result = r.results[0]!;
    assert.equal(result.status, 'FINISHED', JSON.stringify(result.error));
    assert.ok(fs.existsSync(marker), 'the planned failure happened');
    const jm = cluster.jobManager.dispatcher.job(jobId);
    assert.equal(jm.attempt, 1, 'the job restarted once');
    assert.match(jm.exceptions[0]!.error.message, /planned failure at record 12000/);
    const stats = jm.checkpointStats();
    const restored = stats.latest.restored;
    assert.ok(restored && restored.id >= 1, `the job restored from a checkpoint: ${JSON.stringify(restored)}`);
    assert.match(restored.external_path, new RegExp(`${jobId}/chk-${restored.id}$`));
    assert.equal(stats.counts.restored, 1);
    assert.ok(stats.counts.completed > restored.id - 1, JSON.stringify(stats.counts));
    assertExactlyOnce(committed(out), count);
    // A finished job's checkpoints are deleted (only cancelled and failed jobs keep them).
    await waitFor('the checkpoints of the finished job to be deleted', 5_000, () => !fs.existsSync(path.join(checkpoints, jobId)));
  } finally {
    await cluster.close();
  }
});

test('executeAndCollect with checkpoints: what was collected after the restored checkpoint is dropped', async () => {
  const dir = tempDir('checkpoint-collect');
  const marker = path.join(dir, 'failed-once');
  const count = 12_000;
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2 });
  try {
    const r = await runProgram({
      program: PROGRAM,
      args: [path.join(dir, 'out'), marker, '7000', String(count), '10000', String(KEYS), '150', 'collect'],
      cluster,
      config: Configuration.fromEntries({
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.delay': '50 ms',
        'execution.checkpointing.dir': path.join(dir, 'checkpoints'),
      }),
    });
    const result = r.results[0]!;
    assert.equal(result.status, 'FINISHED', JSON.stringify(result.error));
    assert.ok(fs.existsSync(marker), 'the planned failure happened');
    assertExactlyOnce(Object.values(result.collected).flat() as Row[], count);
  } finally {
    await cluster.close();
  }
});

test('a job that ends while a checkpoint waits for its source enumerator ends FINISHED, the checkpoint aborted without counting as a failure', async () => {
  const dir = tempDir('ends-during-checkpoint');
  const marker = path.join(dir, 'input-ended');
  const count = 300;
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 1 });
  let jobId = '';
  try {
    const r = await runProgram({
      program: path.join(root, 'test', 'programs', 'ends-during-checkpoint.ts'),
      args: [marker, String(count)],
      cluster,
      config: Configuration.fromEntries({ 'execution.checkpointing.dir': path.join(dir, 'checkpoints'), 'restart-strategy.type': 'none' }),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
    const result = r.results[0]!;
    assert.equal(result.status, 'FINISHED', JSON.stringify(result.error));
    assert.ok(fs.existsSync(marker), 'the reader reached the end of its input');
    const sums = (Object.values(result.collected).flat() as number[]).reduce((m, v) => Math.max(m, v), 0);
    let total = 0;
    for (let i = 2; i < count; i += 3) total += i;
    assert.equal(sums, total, 'the last running sum of key 2');
    const stats = cluster.jobManager.dispatcher.job(jobId).checkpointStats();
    assert.ok(stats.counts.completed >= 1, `the final checkpoint completed: ${JSON.stringify(stats.counts)}`);
    assert.equal(cluster.jobManager.dispatcher.job(jobId).status, 'FINISHED');
  } finally {
    await cluster.close();
  }
});

test('a cancelled job keeps its checkpoints (RETAIN_ON_CANCELLATION); a new job resumes from them exactly once', async () => {
  const dir = tempDir('checkpoint-resume');
  const out = path.join(dir, 'out');
  const checkpoints = path.join(dir, 'checkpoints');
  const count = 20_000;
  const config = (extra: Record<string, string> = {}): Configuration =>
    Configuration.fromEntries({
      'execution.checkpointing.dir': checkpoints,
      'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION',
      'execution.checkpointing.num-retained': 2,
      ...extra,
    });
  const args = [out, path.join(dir, 'no-marker'), '-1', String(count), '8000', String(KEYS), '150'];
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2 });
  try {
    let first = '';
    const run1 = runProgram({
      program: PROGRAM,
      args,
      cluster,
      config: config(),
      listener: { onSubmitted: (j) => (first = j.jobId) },
    }).then(
      () => assert.fail('the first job was cancelled'),
      (e: Error) => e,
    );
    await waitFor('the first job to start', 30_000, () => first !== '');
    const jm1 = cluster.jobManager.dispatcher.job(first);
    await waitFor('three checkpoints', 30_000, () => jm1.checkpointStats().counts.completed >= 3);
    await cluster.cancel(first);
    assert.match((await run1).message, /cancel/i);
    assert.equal(jm1.status, 'CANCELED');
    // Kept: the two latest completed checkpoints, each with its _metadata.
    const completed = (): string[] =>
      fs.readdirSync(path.join(checkpoints, first)).filter((d) => fs.existsSync(path.join(checkpoints, first, d, '_metadata')));
    await waitFor(`two retained checkpoints (${completed().join(', ')})`, 5_000, () => completed().length === 2);

    let second = '';
    const r = await runProgram({
      program: PROGRAM,
      args,
      cluster,
      config: config({ 'execution.savepoint.path': path.join(checkpoints, first) }),
      listener: { onSubmitted: (j) => (second = j.jobId) },
    });
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
    const restored = cluster.jobManager.dispatcher.job(second).checkpointStats().latest.restored!;
    // Listed now: a checkpoint every task had acknowledged still completes after the cancel.
    const kept = completed();
    assert.equal(kept.length, 2, `two retained checkpoints (${kept.join(', ')})`);
    const latest = Math.max(...kept.map((d) => Number(d.slice(4))));
    assert.equal(restored.id, latest, 'the latest retained checkpoint');
    assertExactlyOnce(committed(out), count);
  } finally {
    await cluster.close();
  }
});

// ---------------------------------------------------------------- chaos on a cluster of processes

/** Keys of the chaos job: enough that state (and lsm's table files) is more than a handful of entries. */
const CHAOS_KEYS = 10_000;

/** Backend-specific settings of the chaos test: lsm takes incremental checkpoints. */
const BACKENDS: Record<'hashmap' | 'lsm', Record<string, string | boolean>> = {
  hashmap: {},
  lsm: { 'state.backend.type': 'lsm', 'state.backend.incremental': true },
};

for (const backend of ['hashmap', 'lsm'] as const)
  test(`chaos (${backend}): TaskManagers killed with SIGKILL during a million-record job; the committed output is exactly once`, async (t) => {
    await chaos(t, backend);
  });

async function chaos(t: TestContext, backend: keyof typeof BACKENDS): Promise<void> {
  const started = Date.now();
  const dir = tempDir(`checkpoint-chaos-${backend}`);
  const out = path.join(dir, 'out');
  const KILLS = 3;
  let cluster: ProcessCluster | undefined;
  try {
    // Two TaskManagers for the job's two slots and one spare per planned kill.
    cluster = await startProcessCluster(dir, 2 + KILLS);
    const jm = cluster.jm;

    const count = 1_000_000;
    let jobId: string | undefined;
    const run = runProgram({
      program: PROGRAM,
      args: [out, path.join(dir, 'no-marker'), '-1', String(count), '120000', String(CHAOS_KEYS), '250'],
      cluster: jm.client,
      config: Configuration.fromEntries({
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': 2 * KILLS,
        'restart-strategy.fixed-delay.delay': '200 ms',
        'execution.checkpointing.dir': path.join(dir, 'checkpoints'),
        ...BACKENDS[backend],
      }),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
    await waitFor('the job to be submitted', 30_000, () => jobId !== undefined);
    const job = jm.jobManager.dispatcher.job(jobId!);

    // Kill a TaskManager of the running job at random moments, each after the job (re)started and took a checkpoint.
    const killed = await killTaskManagers(cluster, job, {
      kills: KILLS,
      checkpoints: 'each',
      pauseMs: () => 100 + Math.floor(Math.random() * 700),
      replace: false,
    });

    const r = await run;
    const result = r.results[0]!;
    assert.equal(result.status, 'FINISHED', JSON.stringify(result.error));
    assert.ok(killed >= 1, 'at least one TaskManager was killed while the job ran');
    assert.ok(job.attempt >= 1, 'the job failed over');

    // The REST API reports the checkpoints in Flink's shape.
    const stats = (await (await fetch(`${jm.restUrl}/jobs/${jobId}/checkpoints`)).json()) as {
      counts: { completed: number; restored: number };
      latest: { restored: { id: number } | null; completed: { state_size: number; checkpointed_size: number } | null };
      summary: { end_to_end_duration: { avg: number } };
    };
    assert.ok(stats.counts.completed >= 1 && stats.counts.restored >= 1, JSON.stringify(stats.counts));
    assert.ok(stats.latest.restored && stats.latest.restored.id >= 1, JSON.stringify(stats.latest.restored));
    const config = (await (await fetch(`${jm.restUrl}/jobs/${jobId}/checkpoints/config`)).json()) as { state_backend: string };
    assert.equal(config.state_backend, backend === 'lsm' ? 'LsmStateBackend' : 'HashMapStateBackend');

    assertExactlyOnce(committed(out), count, CHAOS_KEYS);
    const c = stats.latest.completed;
    t.diagnostic(
      `${backend}: ${Date.now() - started} ms, ${killed} kills, ${stats.counts.completed} checkpoints (avg ${stats.summary.end_to_end_duration.avg} ms), ` +
        `latest ${c?.checkpointed_size ?? 0} of ${c?.state_size ?? 0} bytes written`,
    );
  } finally {
    await cluster?.close();
  }
}
