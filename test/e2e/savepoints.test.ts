/**
 * Savepoints (a checkpoint taken on demand, copied to `savepoint-<jobid6>-<random>/`): triggered
 * through REST on a running keyed job, stop-with-savepoint through the `weir stop` command, a resume
 * from it at another parallelism (key groups redistributed) whose committed FileSink output holds
 * every update exactly once, and the bad `-s` inputs, refused before the job is submitted.
 * Savepoints are canonical: one taken on the hashmap backend resumes on lsm and the other way
 * round, at other parallelisms. `weir stop --drain` fires the open event-time windows first.
 * Restored state of another kind than the job's fails the job with WEIR_SAVEPOINT.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { Configuration } from '../../dist/config/index.js';
import { RestApiError, RestClient } from '../../dist/rest/client.js';
import type { CheckpointingStatistics } from '../../dist/runtime/checkpoint/checkpoint-coordinator.js';
import type { KeyedStatePart } from '../../dist/runtime/checkpoint/state-assignment.js';
import { unpackState, type CheckpointMetadata, type SubtaskStateFile } from '../../dist/runtime/checkpoint/storage.js';
import { startRestServer, type RestServer } from '../../dist/rest/server.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'savepoint-keyed.ts');
const WEIR = path.join(root, 'bin', 'weir.mjs');
const NO_CONF = path.join(os.tmpdir(), 'weir-no-conf');
const KEYS = 7;
const COUNT = 20_000;

const tempDirs: string[] = [];
let cluster: LocalMiniCluster;
let server: RestServer;
let rest: RestClient;

before(async () => {
  cluster = new LocalMiniCluster({ slotsPerTaskManager: 4 });
  server = await startRestServer({
    jobManager: cluster.jobManager,
    config: Configuration.fromEntries({ 'rest.port': 0 }),
    blobDir: tempDir('savepoint-blobs'),
  });
  rest = new RestClient({ url: server.url });
});

after(async () => {
  rest?.close();
  await server?.close();
  await cluster?.close();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `weir-${name}-`));
  tempDirs.push(d);
  return d;
}

function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]);
}

function weir(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [WEIR, ...args],
      { timeout: 60_000, env: { ...process.env, WEIR_CONF_DIR: NO_CONF } },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

interface Row {
  k: number;
  v: number;
  n: number;
}

/** The records of the committed part files of `out` (only committed part files may be there). */
function committed(out: string): Row[] {
  if (!fs.existsSync(out)) return [];
  const files = fs.readdirSync(out);
  assert.deepEqual(
    files.filter((f) => !/^part-\d+-\d+-\d+\.jsonl$/.test(f)),
    [],
    'only committed part files are left',
  );
  const rows: Row[] = [];
  for (const f of files) {
    for (const line of fs.readFileSync(path.join(out, f), 'utf8').split('\n')) if (line !== '') rows.push(JSON.parse(line) as Row);
  }
  return rows;
}

/** What an uninterrupted run commits: each update of records 0..count-1 exactly once (update counts 1..n per key), and the final sums. */
function assertExactlyOnce(rows: readonly Row[], count: number): void {
  assert.equal(rows.length, count, `one update per record (${rows.length} for ${count} records)`);
  const byKey: { n: number; v: number }[][] = Array.from({ length: KEYS }, () => []);
  for (const o of rows) byKey[o.k]!.push({ n: o.n, v: o.v });
  for (let k = 0; k < KEYS; k++) {
    const xs = byKey[k]!.sort((a, b) => a.n - b.n);
    for (let i = 0; i < xs.length; i++) if (xs[i]!.n !== i + 1) assert.fail(`key ${k}: update ${i + 1} is missing or repeated`);
    let total = 0;
    for (let i = k; i < count; i += KEYS) total += i;
    assert.equal(xs.at(-1)?.v, total, `key ${k}: final sum`);
    assert.equal(xs.length, Math.floor(count / KEYS) + (k < count % KEYS ? 1 : 0), `key ${k}: updates`);
  }
}

const args = (out: string, parallelism: number, sumsUid = 'sums'): string[] => [
  out,
  String(COUNT),
  '5000',
  String(KEYS),
  '150',
  String(parallelism),
  sumsUid,
];

const config = (checkpoints: string, extra: Record<string, string | number | boolean> = {}): Configuration =>
  Configuration.fromEntries({ 'execution.checkpointing.dir': checkpoints, ...extra });

let stoppedSavepoint = '';

test('savepoint a running job (REST), stop it with a savepoint (weir stop), resume at another parallelism: exactly once', async () => {
  const dir = tempDir('savepoints');
  const out = path.join(dir, 'out');
  const checkpoints = path.join(dir, 'checkpoints');
  const savepoints = path.join(dir, 'savepoints');
  let jobId = '';
  const run1 = runProgram({
    program: PROGRAM,
    args: args(out, 2),
    cluster,
    config: config(checkpoints),
    listener: { onSubmitted: (j) => (jobId = j.jobId) },
  });
  run1.catch(() => undefined);
  await waitFor('the job to be submitted', 30_000, () => jobId !== '');
  const jm = cluster.jobManager.dispatcher.job(jobId);
  await waitFor('a first checkpoint', 30_000, () => jm.checkpointStats().counts.completed >= 1);

  // A savepoint through REST: the job goes on.
  const triggerId = await rest.triggerSavepoint(jobId, { 'target-directory': savepoints });
  assert.match(triggerId, /^[0-9a-f]{32}$/);
  const first = await within(30_000, rest.awaitSavepoint(jobId, triggerId), 'the savepoint');
  assert.match(path.basename(first), new RegExp(`^savepoint-${jobId.slice(0, 6)}-[0-9a-f]+$`));
  assert.equal(path.dirname(first), savepoints);
  assert.ok(fs.existsSync(path.join(first, '_metadata')), 'the savepoint has its _metadata');
  const info = await rest.savepointStatus(jobId, triggerId);
  assert.deepEqual(info, { status: { id: 'COMPLETED' }, operation: { location: first } });
  assert.equal(jm.status, 'RUNNING');
  await assert.rejects(rest.savepointStatus(jobId, 'f'.repeat(32)), (e: unknown) => e instanceof RestApiError && e.status === 404);

  // Stop with a savepoint through the CLI: the job ends FINISHED, before its source did.
  const stop = await weir('stop', jobId, '--savepoint-path', savepoints, '-m', `127.0.0.1:${new URL(server.url).port}`);
  assert.equal(stop.code, 0, stop.stderr);
  const m = /Savepoint completed\. Path: (.+)$/m.exec(stop.stdout);
  assert.ok(m, stop.stdout);
  stoppedSavepoint = m[1]!;
  assert.notEqual(stoppedSavepoint, first);
  const r1 = await within(30_000, run1, 'the stopped job to end');
  assert.equal(r1.results[0]!.status, 'FINISHED', JSON.stringify(r1.results[0]!.error));
  // (The in-progress file of records after the savepoint stays until the resumed job cleans it up.)
  const before = fs
    .readdirSync(out)
    .filter((f) => /^part-\d+-\d+-\d+\.jsonl$/.test(f))
    .reduce(
      (n, f) =>
        n +
        fs
          .readFileSync(path.join(out, f), 'utf8')
          .split('\n')
          .filter((l) => l !== '').length,
      0,
    );
  assert.ok(before < COUNT, `the job was stopped before the end of its input (${before} committed)`);
  // Savepoints outlive the job (its checkpoints are deleted).
  await waitFor('the checkpoints of the stopped job to be deleted', 5_000, () => !fs.existsSync(path.join(checkpoints, jobId)));
  assert.ok(fs.existsSync(path.join(stoppedSavepoint, '_metadata')));
  assert.ok(fs.existsSync(path.join(first, '_metadata')));

  // Resume at parallelism 3: keyed state is split by key groups; nothing lost, nothing repeated.
  let second = '';
  const r2 = await within(
    60_000,
    runProgram({
      program: PROGRAM,
      args: args(out, 3),
      cluster,
      config: config(checkpoints, { 'execution.savepoint.path': stoppedSavepoint }),
      listener: { onSubmitted: (j) => (second = j.jobId) },
    }),
    'the resumed job',
  );
  assert.equal(r2.results[0]!.status, 'FINISHED', JSON.stringify(r2.results[0]!.error));
  const restored = cluster.jobManager.dispatcher.job(second).checkpointStats().latest.restored!;
  assert.equal(restored.external_path, stoppedSavepoint);
  assert.equal(restored.is_savepoint, true);
  assert.deepEqual(
    cluster.jobManager.dispatcher.job(second).jobGraph.vertices.map((v) => v.parallelism),
    cluster.jobManager.dispatcher.job(second).jobGraph.vertices.map(() => 3),
  );
  assertExactlyOnce(committed(out), COUNT);
});

test('bad -s input is refused before the job is submitted, with WEIR_SAVEPOINT', async () => {
  assert.ok(stoppedSavepoint !== '', 'the first test produced a savepoint');
  const dir = tempDir('savepoint-bad');
  const checkpoints = path.join(dir, 'checkpoints');
  const attempt = async (savepointPath: string, extra: Record<string, string | boolean> = {}, sumsUid = 'sums'): Promise<Error> => {
    let submitted = false;
    return within(
      30_000,
      runProgram({
        program: PROGRAM,
        args: args(path.join(dir, 'out'), 2, sumsUid),
        cluster,
        config: config(checkpoints, { 'execution.savepoint.path': savepointPath, ...extra }),
        listener: { onSubmitted: () => (submitted = true) },
      }).then(
        () => assert.fail('the job should not run'),
        (e: Error) => {
          assert.equal(submitted, false, 'no job was submitted');
          assert.equal((e as { code?: string }).code, 'WEIR_SAVEPOINT', e.message);
          return e;
        },
      ),
      `the run with -s ${savepointPath}`,
    );
  };

  // Missing.
  assert.match((await attempt(path.join(dir, 'nope'))).message, /no checkpoint at .*nope: not a directory/);
  // Half-written: no _metadata.
  const half = path.join(dir, 'savepoint-half');
  fs.cpSync(stoppedSavepoint, half, { recursive: true });
  fs.rmSync(path.join(half, '_metadata'));
  assert.match((await attempt(half)).message, /no _metadata found/);
  // Corrupt _metadata.
  const corrupt = path.join(dir, 'savepoint-corrupt');
  fs.cpSync(stoppedSavepoint, corrupt, { recursive: true });
  fs.writeFileSync(path.join(corrupt, '_metadata'), 'not msgpack \u0000\u00c1\u00c1');
  assert.match((await attempt(corrupt)).message, /cannot read .*_metadata|is not a Weir checkpoint/);
  // An operator (uid 'sums') the new job lacks.
  const unclaimed = await attempt(stoppedSavepoint, {}, 'sums-v2');
  assert.match(unclaimed.message, /uid 'sums'/);
  assert.match(unclaimed.message, /--allow-non-restored-state/);

  // The CLI reports it as one line.
  const cli = await weir('run', '-s', path.join(dir, 'nope'), PROGRAM, '--', ...args(path.join(dir, 'out-cli'), 2));
  assert.equal(cli.code, 1);
  assert.match(cli.stderr.trim(), /^Error: .*WEIR_SAVEPOINT|^Error: .*no checkpoint at/);
  assert.equal(cli.stderr.trim().split('\n').length, 1, cli.stderr);

  // With --allow-non-restored-state the job runs (the renamed operator starts from empty state).
  const out = path.join(dir, 'out-allowed');
  const r = await within(
    60_000,
    runProgram({
      program: PROGRAM,
      args: [out, '2000', '100000', String(KEYS), '150', '2', 'sums-v2'],
      cluster,
      config: config(checkpoints, { 'execution.savepoint.path': stoppedSavepoint, 'execution.savepoint.ignore-unclaimed-state': true }),
    }),
    'the run with --allow-non-restored-state',
  );
  assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
});

test('a savepoint without a target directory (and no execution.checkpointing.savepoint-dir) is refused: 400, WEIR_SAVEPOINT', async () => {
  const dir = tempDir('savepoint-nodir');
  let jobId = '';
  const run = runProgram({
    program: PROGRAM,
    args: args(path.join(dir, 'out'), 1),
    cluster,
    config: config(path.join(dir, 'checkpoints')),
    listener: { onSubmitted: (j) => (jobId = j.jobId) },
  });
  run.catch(() => undefined);
  await waitFor('the job to be submitted', 30_000, () => jobId !== '');
  const jm = cluster.jobManager.dispatcher.job(jobId);
  await waitFor('the job to run', 30_000, () => jm.status === 'RUNNING');
  await assert.rejects(rest.triggerSavepoint(jobId, {}), (e: unknown) => {
    assert.ok(e instanceof RestApiError);
    assert.equal(e.status, 400);
    assert.match(e.message, /no target directory/);
    return true;
  });
  await cluster.cancel(jobId);
  await within(
    30_000,
    run.then(
      () => undefined,
      () => undefined,
    ),
    'the cancelled job',
  );
});

/** The lsm backend with incremental checkpoints, its databases under `dir`. */
const lsm = (dir: string): Record<string, string | boolean> => ({
  'state.backend.type': 'lsm',
  'state.backend.incremental': true,
  'state.backend.lsm.localdir': path.join(dir, 'lsm'),
});

/** Stops a job with a savepoint through the weir command; returns the savepoint's path. */
async function weirStop(jobId: string, savepoints: string, ...extra: string[]): Promise<string> {
  const stop = await weir('stop', jobId, '--savepoint-path', savepoints, ...extra, '-m', `127.0.0.1:${new URL(server.url).port}`);
  assert.equal(stop.code, 0, stop.stderr);
  const m = /Savepoint completed\. Path: (.+)$/m.exec(stop.stdout);
  assert.ok(m, stop.stdout);
  return m[1]!;
}

/** The keyed state entries and lsm incremental parts of a savepoint's or checkpoint's state files. */
function keyedParts(dir: string): { entries: number; lsmParts: number } {
  const metadata = unpackState<CheckpointMetadata>(fs.readFileSync(path.join(dir, '_metadata')));
  let entries = 0;
  let lsmParts = 0;
  const files = new Set(Object.values(metadata.operators).flatMap((m) => m.files.filter((f): f is string => f !== null)));
  for (const f of files) {
    const s = unpackState<SubtaskStateFile>(fs.readFileSync(path.join(dir, f)));
    for (const op of Object.values(s.operators)) {
      if (!op.keyed) continue;
      const part = unpackState<KeyedStatePart>(op.keyed.data);
      for (const st of part.states) entries += st.entries.length;
      if (part.lsm) lsmParts++;
    }
  }
  return { entries, lsmParts };
}

test('savepoints are canonical: hashmap (p=2) → lsm (p=3) → hashmap (p=1) gives the output of an uninterrupted run', async () => {
  const dir = tempDir('savepoint-backends');
  const out = path.join(dir, 'out');
  const checkpoints = path.join(dir, 'checkpoints');
  const savepoints = path.join(dir, 'savepoints');

  /** Runs the job until it took a checkpoint, stops it with a savepoint and returns where that went. */
  const runAndStop = async (parallelism: number, extra: Record<string, string | boolean>, checkIncremental: boolean): Promise<string> => {
    let jobId = '';
    const run = runProgram({
      program: PROGRAM,
      args: args(out, parallelism),
      cluster,
      config: config(checkpoints, extra),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
    run.catch(() => undefined);
    await waitFor('the job to be submitted', 30_000, () => jobId !== '');
    const jm = cluster.jobManager.dispatcher.job(jobId);
    await waitFor('two checkpoints', 30_000, () => jm.checkpointStats().counts.completed >= 2);
    if (checkIncremental) {
      // lsm checkpoints are incremental: table files in the job's shared directory, referred to by the state files.
      const latest = jm.checkpointStats().latest.completed!;
      assert.ok(
        fs.readdirSync(path.join(checkpoints, jobId, 'shared')).some((f) => /\.(ldb|sst)$/.test(f)),
        'shared table files',
      );
      assert.ok(latest.checkpointed_size <= latest.state_size, JSON.stringify(latest));
    }
    const savepoint = await weirStop(jobId, savepoints);
    const r = await within(30_000, run, 'the stopped job to end');
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
    // Canonical whatever the backend: entries tagged with key groups, no lsm files.
    const parts = keyedParts(savepoint);
    assert.equal(parts.lsmParts, 0, 'no lsm incremental part in a savepoint');
    assert.ok(parts.entries > 0, 'keyed entries in the savepoint');
    return savepoint;
  };

  const fromHashmap = await runAndStop(2, {}, false);
  const fromLsm = await runAndStop(3, { ...lsm(dir), 'execution.savepoint.path': fromHashmap }, true);
  const r = await within(
    60_000,
    runProgram({
      program: PROGRAM,
      args: args(out, 1),
      cluster,
      config: config(checkpoints, { 'execution.savepoint.path': fromLsm }),
    }),
    'the job resumed on hashmap',
  );
  assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
  assertExactlyOnce(committed(out), COUNT);
});

test('lsm (p=2) → hashmap (p=3): a savepoint of an lsm job resumes on the heap at another parallelism', async () => {
  const dir = tempDir('savepoint-lsm-heap');
  const out = path.join(dir, 'out');
  const checkpoints = path.join(dir, 'checkpoints');
  let jobId = '';
  const run = runProgram({
    program: PROGRAM,
    args: args(out, 2),
    cluster,
    config: config(checkpoints, lsm(dir)),
    listener: { onSubmitted: (j) => (jobId = j.jobId) },
  });
  run.catch(() => undefined);
  await waitFor('the job to be submitted', 30_000, () => jobId !== '');
  const jm = cluster.jobManager.dispatcher.job(jobId);
  await waitFor('a checkpoint', 30_000, () => jm.checkpointStats().counts.completed >= 1);
  const savepoint = await weirStop(jobId, path.join(dir, 'savepoints'));
  assert.equal((await within(30_000, run, 'the stopped job')).results[0]!.status, 'FINISHED');
  // The lsm working databases of the job are gone with its workers.
  await waitFor('the lsm working directory to be removed', 10_000, () => !fs.existsSync(path.join(dir, 'lsm', `${jobId}-0`)));
  const r = await within(
    60_000,
    runProgram({ program: PROGRAM, args: args(out, 3), cluster, config: config(checkpoints, { 'execution.savepoint.path': savepoint }) }),
    'the job resumed on hashmap',
  );
  assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
  assertExactlyOnce(committed(out), COUNT);
});

interface WindowRow {
  k: number;
  w: number;
  n: number;
}

test('weir stop --drain fires the open event-time windows into the savepoint; without --drain they stay open', async () => {
  const DRAIN_PROGRAM = path.join(root, 'test', 'programs', 'drain-windows.ts');
  const RECORDS = 10_500;
  const SIZE = 1000;
  // Committed part files only (the sink's in-progress file of a stopped job stays behind).
  const rows = (out: string): WindowRow[] =>
    (fs.existsSync(out) ? fs.readdirSync(out) : [])
      .filter((f) => /^part-\d+-\d+-\d+\.jsonl$/.test(f))
      .flatMap((f) => fs.readFileSync(path.join(out, f), 'utf8').split('\n'))
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as WindowRow);
  const stopped = async (name: string, drain: boolean, backend: Record<string, string | boolean>): Promise<WindowRow[]> => {
    const dir = tempDir(name);
    const out = path.join(dir, 'out');
    let jobId = '';
    const run = runProgram({
      program: DRAIN_PROGRAM,
      args: [out, String(RECORDS), String(SIZE), '20000', '100'],
      cluster,
      config: config(path.join(dir, 'checkpoints'), backend),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
    run.catch(() => undefined);
    await waitFor('the job to be submitted', 30_000, () => jobId !== '');
    // Every complete window (10 per key) fired and was committed; the last one waits for its end.
    await waitFor('the complete windows to be committed', 60_000, () => rows(out).length >= 20);
    await weirStop(jobId, path.join(dir, 'savepoints'), ...(drain ? ['--drain'] : []));
    const r = await within(30_000, run, 'the stopped job');
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
    return rows(out).sort((a, b) => a.w - b.w || a.k - b.k);
  };
  const full = (w: number): WindowRow[] => [
    { k: 0, w, n: SIZE / 2 },
    { k: 1, w, n: SIZE / 2 },
  ];
  const complete = Array.from({ length: Math.floor(RECORDS / SIZE) }, (_, w) => full(w)).flat();
  const last = Math.floor(RECORDS / SIZE);
  const rest = (RECORDS % SIZE) / 2;

  assert.deepEqual(await stopped('drain', true, {}), [...complete, { k: 0, w: last, n: rest }, { k: 1, w: last, n: rest }]);
  assert.deepEqual(await stopped('no-drain', false, {}), complete);
  const dir = tempDir('drain-lsm');
  assert.deepEqual(await stopped('drain-lsm', true, lsm(dir)), [...complete, { k: 0, w: last, n: rest }, { k: 1, w: last, n: rest }]);
});

test('a savepoint whose state has another kind than the job uses fails the job with WEIR_SAVEPOINT naming the operator, the state and both kinds', async () => {
  const KIND_PROGRAM = path.join(root, 'test', 'programs', 'state-kind.ts');
  const dir = tempDir('savepoint-kind');
  const checkpoints = path.join(dir, 'checkpoints');
  let jobId = '';
  const run = runProgram({
    program: KIND_PROGRAM,
    args: [path.join(dir, 'out1'), '1', '1000000', '2000', '100'],
    cluster,
    config: config(checkpoints),
    listener: { onSubmitted: (j) => (jobId = j.jobId) },
  });
  run.catch(() => undefined);
  await waitFor('the job to be submitted', 30_000, () => jobId !== '');
  await waitFor('a checkpoint', 30_000, () => cluster.jobManager.dispatcher.job(jobId).checkpointStats().counts.completed >= 1);
  const savepoint = await weirStop(jobId, path.join(dir, 'savepoints'));
  await within(30_000, run, 'the stopped job');

  for (const backend of [{}, lsm(dir)]) {
    let second = '';
    const e = await within(
      60_000,
      runProgram({
        program: KIND_PROGRAM,
        args: [path.join(dir, 'out2'), '2', '1000000', '2000', '100'],
        cluster,
        // Restarts would not help: the job fails at once.
        config: config(checkpoints, { ...backend, 'execution.savepoint.path': savepoint, 'restart-strategy.type': 'fixed-delay' }),
        listener: { onSubmitted: (j) => (second = j.jobId) },
      }).then(
        () => assert.fail('the job must fail'),
        (err: Error) => err,
      ),
      'the incompatible job to fail',
    );
    assert.equal((e as { code?: string }).code, 'WEIR_SAVEPOINT', e.message);
    assert.match(e.message, /uid 'sums'/);
    assert.match(e.message, /state 'acc'/);
    assert.match(e.message, /value state/);
    assert.match(e.message, /list state/);
    const jm = cluster.jobManager.dispatcher.job(second);
    assert.equal(jm.status, 'FAILED');
    assert.equal(jm.attempt, 0, 'not restarted');
  }
});

test('savepoints show in the checkpoint statistics; weir stop without --drain ends a window job FINISHED (source → keyBy → event-time window → print, p=2)', async () => {
  const STOP_PROGRAM = path.join(root, 'test', 'programs', 'stop-windows.ts');
  const dir = tempDir('stop-windows');
  let jobId = '';
  // The checkpoint timeout bounds the fallback that releases tasks that do not end: far beyond the test.
  const run = runProgram({
    program: STOP_PROGRAM,
    // Windows of a minute: none fires (and prints) during the test.
    args: ['200', '60000', '100'],
    cluster,
    config: config(path.join(dir, 'checkpoints'), { 'execution.checkpointing.timeout': 600_000 }),
    listener: { onSubmitted: (j) => (jobId = j.jobId) },
  });
  run.catch(() => undefined);
  await waitFor('the job to be submitted', 30_000, () => jobId !== '');
  const jm = cluster.jobManager.dispatcher.job(jobId);
  await waitFor('checkpoints', 30_000, () => jm.checkpointStats().counts.completed >= 2);
  // A savepoint through REST shows in the checkpoint statistics (Flink's CheckpointingStatistics).
  const triggerId = await rest.triggerSavepoint(jobId, { 'target-directory': path.join(dir, 'savepoints') });
  const location = await within(30_000, rest.awaitSavepoint(jobId, triggerId), 'the savepoint');
  const stats = (await (await fetch(`${server.url}/jobs/${jobId}/checkpoints`)).json()) as CheckpointingStatistics;
  assert.equal(stats.latest.savepoint?.external_path, location, JSON.stringify(stats.latest));
  assert.equal(stats.latest.savepoint.is_savepoint, true);
  assert.equal(stats.latest.savepoint.checkpoint_type, 'SAVEPOINT');
  assert.equal(stats.latest.completed?.is_savepoint, false);
  const row = stats.history.find((h) => h.id === stats.latest.savepoint!.id);
  assert.equal(row?.is_savepoint, true, JSON.stringify(stats.history));
  await weirStop(jobId, path.join(dir, 'savepoints'));
  const r = await within(20_000, run, 'the stopped job to end');
  assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
  assert.ok(
    r.results[0]!.vertices.every((v) => v.status === 'FINISHED'),
    JSON.stringify(r.results[0]!.vertices.map((v) => [v.name, v.status])),
  );
});
