/**
 * The job archive (jobmanager.archive.dir, Flink's HistoryServer role): a JobManager process
 * started with `-D jobmanager.archive.dir=…` archives a job that fails (its map throws) and one
 * that finishes. With that cluster stopped, `weir list --all` reads the archive directly; a new
 * JobManager with the same directory lists both through REST (`/jobs`, `/jobs/overview`) and
 * serves their details, plan, exceptions and checkpoints, and `weir list --all` marks them as
 * archived, with their final status and the failure cause. A corrupt entry is skipped with a
 * warning.
 *
 * Every wait has a deadline; every process started here is stopped in after().
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const root = process.cwd();
const WEIR = join(root, 'bin', 'weir.mjs');
const dir = mkdtempSync(join(tmpdir(), 'weir-archive-'));
const archiveDir = join(dir, 'archive');
const confDir = join(dir, 'conf');
const CORRUPT = 'c0ffee00c0ffee00c0ffee00c0ffee00';

interface Proc {
  child: ChildProcess;
  output: string[];
  exited: Promise<unknown>;
}
const processes: Proc[] = [];

function start(...args: string[]): Proc {
  const child = spawn(process.execPath, [WEIR, args[0]!, '--conf-dir', confDir, ...args.slice(1)], {
    cwd: root,
    env: { ...process.env, TMPDIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = { child, output: [], exited: once(child, 'exit') };
  const onData = (b: Buffer): void => void p.output.push(b.toString());
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  processes.push(p);
  return p;
}

async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await p.exited;
  clearTimeout(timer);
}

function weir(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [WEIR, args[0]!, '--conf-dir', confDir, ...args.slice(1)], {
    cwd: root,
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${restPort}${path}`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A JobManager process archiving to archiveDir, and (optionally) a TaskManager process. */
async function startCluster(withTaskManager: boolean): Promise<Proc[]> {
  const jm = start('jobmanager', '-D', `jobmanager.archive.dir=${archiveDir}`);
  await waitFor('the REST API', 30_000, async () => (await get('/overview')).status === 200);
  if (!withTaskManager) return [jm];
  const tm = start('taskmanager');
  await waitFor('the TaskManager to register', 30_000, async () => (await get('/overview')).body.taskmanagers === 1);
  return [jm, tm];
}

let restPort = 0;
const ids = { failed: '', finished: '' };

before(async () => {
  restPort = await freePort();
  mkdirSync(confDir);
  writeFileSync(
    join(confDir, 'config.yaml'),
    `jobmanager.rpc.port: ${await freePort()}\nrest.port: ${restPort}\ntaskmanager.numberOfTaskSlots: 2\n`,
  );
});

after(async () => {
  await Promise.all(processes.map(stop));
});

test('a JobManager archives a failed and a finished job when they end', async () => {
  const cluster = await startCluster(true);
  const m = `127.0.0.1:${restPort}`;
  const failed = weir('run', '-m', m, 'test/programs/throws.ts');
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);
  const finished = weir('run', '-m', m, 'test/programs/rest-count.ts', '--', 'archive-count', '300');
  assert.equal(finished.code, 0, finished.stdout + finished.stderr);
  const { jobs } = (await get('/jobs/overview')).body as { jobs: { jid: string; name: string; state: string }[] };
  ids.failed = jobs.find((j) => j.name === 'throws')!.jid;
  ids.finished = jobs.find((j) => j.name === 'archive-count')!.jid;

  await waitFor('both archives', 30_000, () => [ids.failed, ids.finished].every((id) => existsSync(join(archiveDir, id))));
  for (const id of [ids.failed, ids.finished]) {
    const files = readdirSync(join(archiveDir, id)).sort();
    for (const f of [
      'archive.json',
      'checkpoints.json',
      'config.json',
      'exceptions.json',
      'job.json',
      'logs',
      'overview.json',
      'plan.json',
    ])
      assert.ok(files.includes(f), `${id} has ${f} (${files.join(', ')})`);
  }
  assert.deepEqual(
    readdirSync(archiveDir).filter((f) => f.startsWith('.')),
    [],
    'no temporary directory is left',
  );
  const job = JSON.parse(readFileSync(join(archiveDir, ids.failed, 'job.json'), 'utf8')) as { state: string; 'end-time': number };
  assert.equal(job.state, 'FAILED');
  assert.ok(job['end-time'] > 0);
  await Promise.all(cluster.map(stop));
});

test('without a cluster, weir list --all reads the archive; a corrupt entry is skipped with a warning', async () => {
  mkdirSync(join(archiveDir, CORRUPT));
  writeFileSync(join(archiveDir, CORRUPT, 'overview.json'), '{"jid": "c0ffee", truncated');
  const r = weir('list', '--all', '-m', `127.0.0.1:${restPort}`, '-D', `jobmanager.archive.dir=${archiveDir}`);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /No JobManager answers at .*: listing the job archive/);
  assert.match(r.stderr, new RegExp(`skipping the archived job ${CORRUPT}`));
  const line = (id: string): string => r.stdout.split('\n').find((l) => l.includes(id)) ?? '';
  assert.match(line(ids.failed), /FAILED \(archived\).*bad record 700/);
  assert.match(line(ids.finished), /FINISHED \(archived\)/);
  assert.ok(!r.stdout.includes(CORRUPT));

  // Without the archive directory, an unreachable cluster is an error, as before.
  const none = weir('list', '--all', '-m', `127.0.0.1:${restPort}`);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Cannot reach the JobManager/);
});

test('a new JobManager with the same archive directory serves the archived jobs through REST and weir list', async () => {
  const [jm] = await startCluster(false);
  const { body: jobs } = await get('/jobs');
  const byId = new Map((jobs.jobs as { id: string; status: string }[]).map((j) => [j.id, j.status]));
  assert.equal(byId.get(ids.failed), 'FAILED');
  assert.equal(byId.get(ids.finished), 'FINISHED');
  assert.ok(!byId.has(CORRUPT));

  const overview = (await get('/jobs/overview')).body.jobs as { jid: string; state: string; archived?: boolean; duration: number }[];
  const failed = overview.find((j) => j.jid === ids.failed)!;
  assert.equal(failed.state, 'FAILED');
  assert.equal(failed.archived, true);
  assert.equal(overview.find((j) => j.jid === ids.finished)?.state, 'FINISHED');

  const details = await get(`/jobs/${ids.failed}`);
  assert.equal(details.status, 200);
  assert.equal(details.body.state, 'FAILED');
  assert.equal((details.body.timestamps as Record<string, number>).FAILED > 0, true);
  const exceptions = (await get(`/jobs/${ids.failed}/exceptions`)).body as {
    'root-exception': string;
    exceptionHistory: { entries: { message: string; code: string }[] };
  };
  assert.match(exceptions['root-exception'], /bad record 700/);
  assert.match(exceptions.exceptionHistory.entries[0]!.message, /bad record 700/);
  const plan = (await get(`/jobs/${ids.finished}/plan`)).body.plan as { jid: string; name: string; nodes: unknown[] };
  assert.equal(plan.jid, ids.finished);
  assert.equal(plan.name, 'archive-count');
  assert.ok(plan.nodes.length > 0);
  const checkpoints = await get(`/jobs/${ids.finished}/checkpoints`);
  assert.equal(checkpoints.status, 200);
  assert.equal((checkpoints.body.counts as { total: number }).total, 0);
  assert.equal((await get(`/jobs/${ids.finished}/status`)).body.status, 'FINISHED');
  assert.equal((await get(`/jobs/${CORRUPT}`)).status, 404);
  const cancel = await fetch(`http://127.0.0.1:${restPort}/jobs/${ids.finished}?mode=cancel`, { method: 'PATCH' });
  assert.equal(cancel.status, 409, 'an archived job cannot be cancelled');

  const listed = weir('list', '--all', '-m', `127.0.0.1:${restPort}`);
  assert.equal(listed.code, 0, listed.stdout + listed.stderr);
  const line = (id: string): string => listed.stdout.split('\n').find((l) => l.includes(id)) ?? '';
  assert.match(line(ids.failed), /FAILED \(archived\).*bad record 700/);
  assert.match(line(ids.finished), /FINISHED \(archived\)/);
  // Running jobs only: archived jobs have ended.
  assert.match(weir('list', '-m', `127.0.0.1:${restPort}`).stdout, /No running jobs/);
  await waitFor('the JobManager to warn about the corrupt entry', 10_000, () =>
    jm!.output.join('').includes(`skipping the archived job ${CORRUPT}`),
  );
  await stop(jm!);
});
