/**
 * Deployment modes with the real `weir` command and real processes:
 *
 * - one program gives the same result in every mode: local, remote (a standalone session cluster),
 *   process-session, process-per-job, process-application, and standalone Application mode
 *   (`weir jobmanager --application` with a `weir taskmanager`);
 * - startup: the time from `weir run` to RUNNING (per-job, application) and from submission to
 *   RUNNING on a session cluster whose TaskManager is up, printed as test diagnostics;
 * - lifecycle: once a per-job or application cluster has ended, none of its processes is alive,
 *   its directory is gone, and the archive holds its logs;
 * - an application calling execute() twice and executeAsync() twice runs four jobs in that order,
 *   with job ids derived from the cluster id.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { applicationJobId } from '../../dist/runtime/jobmanager/dispatcher.js';
import { alive, cleanup, expectedSums, finalSums, getJson, notePid, notePids, tempDir, weir, weirAsync } from './deploy-helpers.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const dir = tempDir('weir-deploy-');
const work = join(dir, 'work');
const archive = join(dir, 'archive');
const PROGRAM = 'test/programs/session-job.ts';
const COUNT = 1500;
const pidDirs: string[] = [];

after(() => {
  for (const p of pidDirs) weir('cluster', 'stop', '--pid-dir', p);
  cleanup();
});

/** A conf dir with free ports for a session cluster. */
async function sessionConf(name: string, extra = ''): Promise<{ confDir: string; rest: string; pidDir: string; logDir: string }> {
  const confDir = join(dir, name, 'conf');
  mkdirSync(confDir, { recursive: true });
  const restPort = await freePort();
  writeFileSync(
    join(confDir, 'config.yaml'),
    `jobmanager.rpc.port: ${await freePort()}\nrest.port: ${restPort}\ntaskmanager.numberOfTaskSlots: 2\nprocess.working-dir: ${JSON.stringify(work)}\n${extra}`,
  );
  const pidDir = join(dir, name, 'pid');
  pidDirs.push(pidDir);
  return { confDir, rest: `127.0.0.1:${restPort}`, pidDir, logDir: join(dir, name, 'log') };
}

const dedicatedFlags = ['-D', `process.working-dir=${work}`, '-D', `jobmanager.archive.dir=${archive}`];

/** Checks that a dedicated cluster left nothing behind but its archive: processes gone, directory removed, result and logs archived. */
async function assertCleanedUp(jobId: string, clusterId: string, status = 'FINISHED'): Promise<void> {
  const logs = join(archive, jobId, 'logs');
  const jmLog = await waitFor(`the archived logs of ${jobId}`, 60_000, () =>
    existsSync(join(logs, 'jobmanager.log')) && !existsSync(join(work, clusterId))
      ? readFileSync(join(logs, 'jobmanager.log'), 'utf8')
      : undefined,
  );
  const started = notePids(jmLog);
  assert.ok(started.length >= 2, `the JobManager log names its own pid and its TaskManagers':\n${jmLog}`);
  await waitFor('every process of the cluster to exit', 30_000, () => started.every((p) => !alive(p)) || undefined);
  const files = readdirSync(logs);
  assert.ok(
    files.some((f) => /taskmanager-\d+\.log$/.test(f)),
    `a TaskManager log is archived: ${files.join(', ')}`,
  );
  assert.ok(!existsSync(join(work, clusterId)), 'the cluster directory is removed');
  const overview = JSON.parse(readFileSync(join(archive, jobId, 'overview.json'), 'utf8')) as { jid: string; state: string };
  assert.equal(overview.jid, jobId, "the archive holds the job's overview");
  assert.equal(overview.state, status, "the archive holds the job's final status");
  assert.ok(existsSync(join(archive, jobId, 'plan.json')), "the archive holds the job's plan");
}

/** `weir cluster start --provider process` with the session's configuration, log and pid directories. */
function startProcessSession(session: { confDir: string; logDir: string; pidDir: string }): { code: number; out: string } {
  return weir(
    'cluster',
    'start',
    '--provider',
    'process',
    '--conf-dir',
    session.confDir,
    '--log-dir',
    session.logDir,
    '--pid-dir',
    session.pidDir,
  );
}

test('one program gives the same result in every deployment mode', async (t) => {
  const expected = expectedSums(COUNT, 5);
  const args = (out: string): string[] => ['-p', '2', PROGRAM, '--', String(COUNT), '100000', out];
  const timed = (mode: string, run: () => { code: number; out: string }): string => {
    const t0 = Date.now();
    const r = run();
    t.diagnostic(`${mode}: weir run took ${Date.now() - t0} ms`);
    assert.equal(r.code, 0, `${mode}:\n${r.out}`);
    return r.out;
  };

  timed('local', () => weir('run', ...args(join(dir, 'out-local'))));

  const remote = await sessionConf('standalone');
  const started = weir('cluster', 'start', '--conf-dir', remote.confDir, '--log-dir', remote.logDir, '--pid-dir', remote.pidDir);
  assert.equal(started.code, 0, started.out);
  notePids(started.out);
  timed('remote', () => weir('run', '-m', remote.rest, ...args(join(dir, 'out-remote'))));
  weir('cluster', 'stop', '--pid-dir', remote.pidDir);

  const session = await sessionConf('process-session');
  const ps = startProcessSession(session);
  assert.equal(ps.code, 0, ps.out);
  notePids(ps.out);
  timed('process-session', () => weir('run', '-t', 'process-session', '-m', session.rest, ...args(join(dir, 'out-process-session'))));
  weir('cluster', 'stop', '--pid-dir', session.pidDir);
  assert.ok(!existsSync(work) || readdirSync(work).length === 0, 'the session cluster removed its TaskManagers working directories');

  const perJob = timed('process-per-job', () => weir('run', '-t', 'process-per-job', ...dedicatedFlags, ...args(join(dir, 'out-per-job'))));
  assert.match(perJob, /Logs: .*archive/);

  const app = timed('process-application', () =>
    weir('run', '-t', 'process-application', ...dedicatedFlags, ...args(join(dir, 'out-application'))),
  );
  assert.match(app, /Application \S+ FINISHED: 1 job\(s\)/);

  // Standalone Application mode: the JobManager runs main() and waits for a TaskManager started by hand.
  const rpcPort = await freePort();
  const jm = weirAsync(
    [
      'jobmanager',
      '--application',
      PROGRAM,
      '-D',
      `rest.port=${await freePort()}`,
      '-D',
      `jobmanager.rpc.port=${rpcPort}`,
      '--',
      String(COUNT),
      '100000',
      join(dir, 'out-standalone-application'),
    ],
    {},
  );
  const tm = weirAsync([
    'taskmanager',
    '--jobmanager',
    `127.0.0.1:${rpcPort}`,
    '-D',
    'taskmanager.numberOfTaskSlots=2',
    '-D',
    `process.working-dir=${dir}`,
  ]);
  const jmEnd = await jm.done;
  tm.child.kill('SIGTERM');
  await tm.done;
  assert.equal(jmEnd.code, 0, jmEnd.out);
  assert.match(jmEnd.out, /the application finished/);

  for (const mode of ['local', 'remote', 'process-session', 'per-job', 'application', 'standalone-application']) {
    assert.deepEqual(finalSums(join(dir, `out-${mode}`)), expected, `${mode} computes the same sums`);
  }
});

test('startup to RUNNING, and a dedicated cluster leaves only its archive behind', async (t) => {
  const endless = (out: string): string[] => [PROGRAM, '--', 'inf', '200', out];

  // Session on the process provider: the first job starts a TaskManager, the second finds it running.
  const session = await sessionConf('startup-session');
  const ps = startProcessSession(session);
  assert.equal(ps.code, 0, ps.out);
  for (const round of ['cold (TaskManager started on demand)', 'warm (TaskManager running)']) {
    const t0 = Date.now();
    const r = weir('run', '-d', '-t', 'process-session', '-m', session.rest, ...endless(join(dir, `out-startup-${round.slice(0, 4)}`)));
    assert.equal(r.code, 0, r.out);
    const jobId = /JobID ([0-9a-f]{32})/.exec(r.out)![1]!;
    const job = await waitFor('the session job to run', 60_000, async () => {
      const j = await getJson<{ state: string; timestamps: Record<string, number>; 'start-time': number }>(
        `http://${session.rest}/jobs/${jobId}`,
      );
      return j?.state === 'RUNNING' ? j : undefined;
    });
    t.diagnostic(
      `process-session ${round}: submission to RUNNING ${job.timestamps.RUNNING! - job['start-time']} ms; weir run to RUNNING ${job.timestamps.RUNNING! - t0} ms`,
    );
    assert.equal(weir('cancel', '-m', session.rest, jobId).code, 0);
  }
  notePids(
    readdirSync(session.logDir)
      .map((f) => readFileSync(join(session.logDir, f), 'utf8'))
      .join('\n'),
  );
  weir('cluster', 'stop', '--pid-dir', session.pidDir);

  // Per-job: detached, so the test measures RUNNING on the cluster, then cancels the job.
  {
    const t0 = Date.now();
    const r = weir('run', '-d', '-t', 'process-per-job', ...dedicatedFlags, ...endless(join(dir, 'out-startup-per-job')));
    assert.equal(r.code, 0, r.out);
    const [, jobId, url] = /JobID ([0-9a-f]{32}) to a per-job cluster at (\S+)/.exec(r.out)!;
    const job = await waitFor('the per-job job to run', 60_000, async () => {
      const j = await getJson<{ state: string; timestamps: Record<string, number> }>(`${url}/jobs/${jobId}`);
      return j?.state === 'RUNNING' ? j : undefined;
    });
    t.diagnostic(`process-per-job: weir run to RUNNING ${job.timestamps.RUNNING! - t0} ms`);
    const clusterId = readdirSync(work).find((d) => d.startsWith('weir-per-job-'))!;
    const endpoint = JSON.parse(readFileSync(join(work, clusterId, 'jobmanager.json'), 'utf8')) as { pid: number };
    notePid(endpoint.pid);
    assert.equal(weir('cancel', '-m', url!.replace('http://', ''), jobId!).code, 0);
    await assertCleanedUp(jobId!, clusterId, 'CANCELED');
  }

  // Application: the first job's id is derived from the cluster id.
  {
    const t0 = Date.now();
    const r = weir('run', '-d', '-t', 'process-application', ...dedicatedFlags, ...endless(join(dir, 'out-startup-app')));
    assert.equal(r.code, 0, r.out);
    const [, clusterId, pid, url] = /Started application cluster (\S+) \(JobManager pid (\d+)\) — (\S+)/.exec(r.out)!;
    notePid(Number(pid));
    const jobId = applicationJobId(clusterId!, 0);
    const job = await waitFor('the application job to run', 60_000, async () => {
      const j = await getJson<{ state: string; timestamps: Record<string, number> }>(`${url}/jobs/${jobId}`);
      return j?.state === 'RUNNING' ? j : undefined;
    });
    t.diagnostic(`process-application: weir run to RUNNING ${job.timestamps.RUNNING! - t0} ms`);
    assert.equal(weir('cancel', '-m', url!.replace('http://', ''), jobId).code, 0);
    await assertCleanedUp(jobId, clusterId!, 'CANCELED');
    assert.ok(!alive(Number(pid)), 'the JobManager exited');
  }
});

test('an application runs execute(), execute(), executeAsync(), executeAsync() in that order, with derived job ids', async () => {
  const out = join(dir, 'out-multi');
  const r = weir('run', '-t', 'process-application', ...dedicatedFlags, 'test/programs/application-multi.ts', '--', out);
  assert.equal(r.code, 0, r.out);
  const clusterId = /Started application cluster (\S+)/.exec(r.out)![1]!;
  assert.match(r.out, /FINISHED: 4 job\(s\)/);
  const ids = [0, 1, 2, 3].map((i) => applicationJobId(clusterId, i));
  const events = readFileSync(join(out, 'order.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; jobId: string });
  assert.deepEqual(
    events.slice(0, 4).map((e) => [e.event, e.jobId]),
    [
      ['execute-returned', ids[0]],
      ['execute-returned', ids[1]],
      ['executeAsync-returned', ids[2]],
      ['executeAsync-returned', ids[3]],
    ],
  );
  assert.deepEqual(
    events.slice(4).map((e) => e.event),
    ['async-result', 'async-result'],
  );
  for (const [name, count] of [
    ['first', 300],
    ['second', 300],
    ['third', 600],
    ['fourth', 600],
  ] as const) {
    assert.deepEqual(finalSums(join(out, name)), expectedSums(count, 3), `job ${name}`);
  }
  for (const id of ids) await assertCleanedUp(id, clusterId);
});
