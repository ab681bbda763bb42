/**
 * Checkpoints, savepoints and the FileSink on S3, against a real S3-compatible server (SeaweedFS,
 * started on loopback by test/helpers/services/seaweedfs.ts):
 * - chaos: TaskManager processes are killed with SIGKILL while a keyed job (lsm backend,
 *   incremental checkpoints, entropy injection) checkpoints to s3:// and writes its FileSink to
 *   s3://; the committed objects hold every update exactly once and no multipart upload is left;
 * - a savepoint written to s3:// by stop-with-savepoint resumes with the real `weir run -s s3://...`
 *   at another parallelism, exactly once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { runProgram } from '../../dist/client/run-program.js';
import { S3RecoverableWriter, configureFileSystems, getFileSystem, type S3FileSystem } from '../../dist/fs/index.js';
import { RestClient } from '../../dist/rest/client.js';
import { unpackState, type CheckpointMetadata } from '../../dist/runtime/checkpoint/storage.js';
import { startProcessCluster } from '../helpers/process-cluster.js';
import { startSeaweedS3, type SeaweedS3 } from '../helpers/services/seaweedfs.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHAOS_PROGRAM = path.join(root, 'test', 'programs', 'checkpointed-keyed.ts');
const SAVEPOINT_PROGRAM = path.join(root, 'test', 'programs', 'savepoint-keyed.ts');
const WEIR = path.join(root, 'bin', 'weir.mjs');
const BUCKET = 'weir-e2e';

let s3: SeaweedS3;
let s3fs: S3FileSystem;
const tempDirs: string[] = [];

before(async () => {
  s3 = await startSeaweedS3();
  await s3.createBucket(BUCKET);
  configureFileSystems(s3.config);
  s3fs = getFileSystem(`s3://${BUCKET}`) as S3FileSystem;
});

after(async () => {
  await s3?.stop();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `weir-${name}-`));
  tempDirs.push(d);
  return d;
}

interface Row {
  k: number;
  v: number;
  n: number;
}

/** The records of the objects under an s3:// prefix; only committed part files may be there, and no pending upload. */
async function committed(prefix: string): Promise<Row[]> {
  const files = await s3fs.list(prefix);
  assert.deepEqual(
    files.map((f) => f.name).filter((f) => !/^part-\d+-\d+-\d+\.jsonl$/.test(f)),
    [],
    'only committed part files',
  );
  assert.deepEqual(await new S3RecoverableWriter(s3fs).pending(`${prefix}/`), [], 'no multipart upload is left pending');
  const rows: Row[] = [];
  for (const f of files) {
    for (const line of (await s3fs.readFile(f.path)).toString('utf8').split('\n')) if (line !== '') rows.push(JSON.parse(line) as Row);
  }
  return rows;
}

function assertExactlyOnce(rows: readonly Row[], count: number, keys: number): void {
  assert.equal(rows.length, count, `one update per record (${rows.length} for ${count} records)`);
  const byKey: { n: number; v: number }[][] = Array.from({ length: keys }, () => []);
  for (const o of rows) byKey[o.k]!.push({ n: o.n, v: o.v });
  for (let k = 0; k < keys; k++) {
    const xs = byKey[k]!.sort((a, b) => a.n - b.n);
    let total = 0;
    for (let i = k; i < count; i += keys) total += i;
    assert.equal(xs.length, Math.floor(count / keys) + (k < count % keys ? 1 : 0), `key ${k}: updates`);
    for (let i = 0; i < xs.length; i++) if (xs[i]!.n !== i + 1) assert.fail(`key ${k}: update ${i + 1} is missing or repeated`);
    assert.equal(xs.at(-1)!.v, total, `key ${k}: final sum`);
  }
}

test('chaos on S3: TaskManagers killed with SIGKILL; lsm incremental checkpoints with entropy and the FileSink on s3:// are exactly once', async (t: TestContext) => {
  const started = Date.now();
  const dir = tempDir('s3-chaos');
  const KILLS = 2;
  const cluster = await startProcessCluster(dir, 2 + KILLS, { ...s3.config, 's3.entropy.key': '_entropy_', 's3.entropy.length': '4' });
  const { jm } = cluster;
  const out = `s3://${BUCKET}/chaos/out`;
  const checkpoints = `s3://${BUCKET}/_entropy_/chaos/checkpoints`;
  // 10 s of input at 20 000 records/s: time for checkpoints on S3 and kills between them.
  const count = 200_000;
  const keys = 5_000;
  try {
    let jobId: string | undefined;
    const run = runProgram({
      program: CHAOS_PROGRAM,
      args: [out, path.join(dir, 'no-marker'), '-1', String(count), '20000', String(keys), '300'],
      cluster: jm.client,
      config: Configuration.fromEntries({
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': 2 * KILLS,
        'restart-strategy.fixed-delay.delay': '200 ms',
        'execution.checkpointing.dir': checkpoints,
        'execution.checkpointing.num-retained': 2,
        'state.backend.type': 'lsm',
        'state.backend.incremental': true,
      }),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
    await waitFor('the job to be submitted', 30_000, () => jobId !== undefined);
    const job = jm.jobManager.dispatcher.job(jobId!);
    const ended = (): boolean => ['FINISHED', 'FAILED', 'CANCELED'].includes(job.status);
    let killed = 0;
    let sawEntropy = false;
    for (let k = 0; k < KILLS; k++) {
      const attempt = job.attempt;
      const completedBefore = job.checkpointStats().counts.completed;
      await waitFor(
        'a checkpoint of the running job',
        30_000,
        () => ended() || (job.status === 'RUNNING' && job.checkpointStats().counts.completed > completedBefore),
      );
      if (!sawEntropy && !ended()) {
        // _metadata is at the path without the entropy key; state files at paths with random characters in its place.
        const jobDir = `s3://${BUCKET}/chaos/checkpoints/${jobId}`;
        const { latestCompletedIn } = await import('../../dist/runtime/checkpoint/storage.js');
        const chk = await latestCompletedIn(jobDir);
        if (chk) {
          const meta = unpackState<CheckpointMetadata>(await s3fs.readFile(`${chk}/_metadata`).catch(() => Buffer.from([0xc0])));
          // null: deleted meanwhile (subsumed), looked at again after the next checkpoint.
          const files = meta === null ? [] : Object.values(meta.operators).flatMap((o) => o.files.filter((f): f is string => f !== null));
          for (const f of files) assert.match(f, new RegExp(`^s3://${BUCKET}/[a-z0-9]{4}/chaos/checkpoints/${jobId}/chk-\\d+/`));
          sawEntropy = files.length > 0;
        }
      }
      // Not a synchronisation: a random moment, after the checkpoint, to kill at.
      await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 500)));
      if (job.status !== 'RUNNING' || job.attempt !== attempt) break;
      assert.ok(await cluster.killOneOf(job.taskManagerIds), `a TaskManager process of the job (${job.taskManagerIds.join(', ')})`);
      killed++;
      await waitFor('the job to fail over', 30_000, () => job.attempt > attempt || ended());
    }
    const r = await run;
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
    assert.ok(killed >= 1, 'at least one TaskManager was killed while the job ran');
    assert.ok(sawEntropy, 'a checkpoint with entropy-injected state files was seen');
    const stats = job.checkpointStats();
    assert.ok(stats.counts.restored >= 1, 'the job restored from a checkpoint on S3');
    assertExactlyOnce(await committed(out), count, keys);
    // The job finished: its checkpoints (and their shared lsm files) are gone from the bucket.
    await waitFor(
      'the checkpoints of the finished job to be deleted',
      10_000,
      async () => (await s3fs.listRecursive(`s3://${BUCKET}/chaos/checkpoints/${jobId}`)).length === 0,
    );
    // ... and so are their state files at entropy-injected paths.
    const left = (await s3fs.listRecursive(`s3://${BUCKET}`)).filter((f) => f.path.includes(`/chaos/checkpoints/${jobId}/`));
    assert.deepEqual(
      left.map((f) => f.path),
      [],
      'no checkpoint file of the job is left',
    );
    t.diagnostic(`${Date.now() - started} ms, ${killed} kills, ${stats.counts.completed} checkpoints`);
  } finally {
    await cluster.close();
  }
});

test('a savepoint on S3 (stop-with-savepoint) resumes with weir run -s s3://... at another parallelism, exactly once', async () => {
  const dir = tempDir('s3-savepoint');
  const cluster = await startProcessCluster(dir, 2, s3.config);
  const out = `s3://${BUCKET}/savepoint/out`;
  const checkpoints = `s3://${BUCKET}/savepoint/checkpoints`;
  const savepoints = `s3://${BUCKET}/savepoint/savepoints`;
  const COUNT = 20_000;
  const KEYS = 7;
  const args = (p: number): string[] => [out, String(COUNT), '4000', String(KEYS), '150', String(p), 'sums'];
  let savepoint = '';
  try {
    let jobId: string | undefined;
    const run = runProgram({
      program: SAVEPOINT_PROGRAM,
      args: args(2),
      cluster: cluster.jm.client,
      config: Configuration.fromEntries({ 'execution.checkpointing.dir': checkpoints }),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
    run.catch(() => undefined);
    await waitFor('the job to be submitted', 30_000, () => jobId !== undefined);
    const job = cluster.jm.jobManager.dispatcher.job(jobId!);
    await waitFor('a first checkpoint', 30_000, () => job.checkpointStats().counts.completed >= 1);
    const rest = new RestClient({ url: cluster.jm.restUrl! });
    try {
      const trigger = await rest.stopWithSavepoint(jobId!, { targetDirectory: savepoints });
      savepoint = await rest.awaitSavepoint(jobId!, trigger, 30_000);
    } finally {
      rest.close();
    }
    assert.match(savepoint, new RegExp(`^${savepoints}/savepoint-${jobId!.slice(0, 6)}-[0-9a-f]+$`));
    assert.ok(await s3fs.stat(`${savepoint}/_metadata`), 'the savepoint has its _metadata on S3');
    const r1 = await run;
    assert.equal(r1.results[0]!.status, 'FINISHED');
  } finally {
    await cluster.close();
  }

  // The real command, in its own process: a local cluster at parallelism 3 restored from the savepoint on S3.
  const d = Object.entries(s3.config).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  const res = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [WEIR, 'run', '-s', savepoint, ...d, '-D', `execution.checkpointing.dir=${checkpoints}`, SAVEPOINT_PROGRAM, ...args(3)],
      { timeout: 60_000, cwd: dir, env: { ...process.env, WEIR_CONF_DIR: path.join(dir, 'no-conf') } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
  assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
  assertExactlyOnce(await committed(out), COUNT, KEYS);
});

test('FileSource reads an S3 prefix (hidden objects skipped) and a FileSink without checkpoints completes its uploads at the end', async () => {
  const { LocalMiniCluster } = await import('../../dist/cluster/local-mini-cluster.js');
  const input = `s3://${BUCKET}/words`;
  const output = `s3://${BUCKET}/word-count`;
  await s3fs.writeFile(`${input}/a.txt`, 'Apple banana apple\n');
  await s3fs.writeFile(`${input}/sub/b.txt`, 'banana cherry');
  await s3fs.writeFile(`${input}/_SUCCESS`, 'ignored');
  await s3fs.writeFile(`${input}/.hidden`, 'ignored');
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2 });
  try {
    const r = await runProgram({
      program: path.join(root, 'examples', 'word-count.ts'),
      args: [input, output],
      cluster,
      config: Configuration.fromEntries({}),
    });
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
  } finally {
    await cluster.close();
  }
  const counts = new Map<string, number>();
  for (const f of await s3fs.list(output)) {
    assert.match(f.name, /^part-\d+-\d+\.jsonl$/);
    for (const line of (await s3fs.readFile(f.path)).toString('utf8').split('\n')) {
      if (line === '') continue;
      const { word, n } = JSON.parse(line) as { word: string; n: number };
      counts.set(word, Math.max(n, counts.get(word) ?? 0));
    }
  }
  assert.deepEqual(Object.fromEntries([...counts].sort()), { apple: 2, banana: 2, cherry: 1 });
  assert.deepEqual(await new S3RecoverableWriter(s3fs).pending(`${output}/`), []);
});

test('jobmanager.archive.dir on S3: an ended job is archived there and read back', async () => {
  const { LocalMiniCluster } = await import('../../dist/cluster/local-mini-cluster.js');
  const { JobArchive } = await import('../../dist/rest/job-archive.js');
  const archiveDir = `s3://${BUCKET}/archive`;
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2, archiveDir });
  let jobId = '';
  try {
    const r = await runProgram({
      program: path.join(root, 'test', 'programs', 'args.ts'),
      args: [],
      cluster,
      config: Configuration.fromEntries({}),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
    assert.equal(r.results[0]!.status, 'FINISHED');
  } finally {
    await cluster.close();
  }
  const archive = new JobArchive(archiveDir);
  await waitFor('the archive on S3', 10_000, async () => (await archive.list()).some((j) => j.jid === jobId));
  const [job] = await archive.list();
  assert.equal(job!.state, 'FINISHED');
  assert.equal((await archive.read(jobId, 'job'))?.jid, jobId);
  assert.ok(await s3fs.stat(`${archiveDir}/${jobId}/overview.json`));
});

test('bad S3 settings fail with WEIR_IO naming the location: wrong secret key, missing bucket', async () => {
  const { S3FileSystem } = await import('../../dist/fs/index.js');
  const wrong = new S3FileSystem({
    ...(getFileSystem(`s3://${BUCKET}`) as S3FileSystem).options,
    secretKey: 'not-the-secret',
    maxAttempts: 1,
  });
  await assert.rejects(wrong.writeFile(`s3://${BUCKET}/x`, 'x'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'WEIR_IO');
    assert.match(e.message, new RegExp(`s3://${BUCKET}/x`));
    assert.match(e.message, /s3\.secret-key/);
    return true;
  });
  await assert.rejects(s3fs.readFile('s3://weir-no-such-bucket/x'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'WEIR_IO');
    assert.match(e.message, /weir-no-such-bucket/);
    return true;
  });
});
