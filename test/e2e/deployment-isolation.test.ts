/**
 * Isolation per deployment mode, with a job whose user code kills its TaskManager process
 * (test/programs/crash-tm.ts: SIGKILL to its own process from a map function, once):
 *
 * - Session (process provider): it shares the TaskManager with a second job, which is hit too and
 *   restarts (its exception history names the lost TaskManager);
 * - Per-Job and Application: the second job runs in a cluster of its own, which never loses a
 *   TaskManager, while the crashing job restarts on a new TaskManager of its cluster.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { cleanup, getJson, notePids, tempDir, weir, weirAsync } from './deploy-helpers.js';

const dir = tempDir('weir-isolation-');
const work = join(dir, 'work');
const archive = join(dir, 'archive');
const pidDir = join(dir, 'pid');

after(() => {
  weir('cluster', 'stop', '--pid-dir', pidDir);
  cleanup();
});

const restart = [
  '-D',
  'restart-strategy.type=fixed-delay',
  '-D',
  'restart-strategy.fixed-delay.attempts=3',
  '-D',
  'restart-strategy.fixed-delay.delay=200 ms',
];
/** The job that is not at fault: ~5 s of records. */
const victim = (out: string): string[] => [...restart, 'test/programs/session-job.ts', '--', '2500', '500', out];
/** The job that kills its TaskManager after 100 records, once. */
const crasher = (name: string): string[] => [
  ...restart,
  'test/programs/crash-tm.ts',
  '--',
  '400',
  '200',
  join(dir, `out-crash-${name}`),
  join(dir, `marker-${name}`),
  '100',
];

interface Exceptions {
  'root-exception': string | null;
}

test('session: a job that crashes its TaskManager makes a job sharing it restart', async () => {
  const confDir = join(dir, 'conf');
  mkdirSync(confDir, { recursive: true });
  const rest = `127.0.0.1:${await freePort()}`;
  writeFileSync(
    join(confDir, 'config.yaml'),
    `jobmanager.rpc.port: ${await freePort()}\nrest.port: ${rest.split(':')[1]}\ntaskmanager.numberOfTaskSlots: 2\nprocess.working-dir: ${JSON.stringify(work)}\n`,
  );
  const logDir = join(dir, 'session-log');
  const started = weir('cluster', 'start', '--provider', 'process', '--conf-dir', confDir, '--log-dir', logDir, '--pid-dir', pidDir);
  assert.equal(started.code, 0, started.out);
  const submit = (args: string[]): string => {
    const r = weir('run', '-d', '-t', 'process-session', '-m', rest, ...args);
    assert.equal(r.code, 0, r.out);
    return /JobID ([0-9a-f]{32})/.exec(r.out)![1]!;
  };
  const b = submit(victim(join(dir, 'out-session-b')));
  await waitFor(
    'job B to run',
    60_000,
    async () => (await getJson<{ state: string }>(`http://${rest}/jobs/${b}`))?.state === 'RUNNING' || undefined,
  );
  const a = submit(crasher('session'));
  for (const id of [a, b]) {
    await waitFor(`job ${id} to finish`, 90_000, async () => {
      const s = (await getJson<{ state: string }>(`http://${rest}/jobs/${id}`))?.state;
      assert.ok(s !== 'FAILED' && s !== 'CANCELED', `job ${id} is ${s}`);
      return s === 'FINISHED' || undefined;
    });
  }
  const bExceptions = await getJson<Exceptions>(`http://${rest}/jobs/${b}/exceptions`);
  assert.match(
    bExceptions?.['root-exception'] ?? '',
    /TaskManager \S+ was lost/,
    'job B restarted because the TaskManager it shared went down',
  );
  const jmLog = readFileSync(
    join(
      logDir,
      readdirSync(logDir).find((f) => f.startsWith('weir-jobmanager'))!,
    ),
    'utf8',
  );
  notePids(jmLog);
  assert.match(jmLog, /was killed by SIGKILL/);
  weir('cluster', 'stop', '--pid-dir', pidDir);
});

for (const target of ['process-per-job', 'process-application'] as const) {
  test(`${target}: a job that crashes its TaskManager leaves the other job's cluster untouched`, async () => {
    const flags = ['-t', target, '-D', `process.working-dir=${work}`, '-D', `jobmanager.archive.dir=${archive}`];
    const bRun = weirAsync(['run', ...flags, ...victim(join(dir, `out-${target}-b`))]);
    // The crashing job starts once the other one is running.
    await waitFor('job B to run', 60_000, () => (/ RUNNING /.test(bRun.output()) ? true : undefined));
    const aRun = weirAsync(['run', ...flags, ...crasher(target)]);
    const [a, b] = await Promise.all([aRun.done, bRun.done]);
    assert.equal(a.code, 0, a.out);
    assert.equal(b.code, 0, b.out);
    const idOf = (out: string, name: string): string => new RegExp(`Job '${name}' \\(([0-9a-f]{32})\\) FINISHED`).exec(out)![1]!;
    const aLog = await archivedJobManagerLog(idOf(a.out, 'crash-tm-400'));
    const bLog = await archivedJobManagerLog(idOf(b.out, 'session-job-2500'));
    assert.match(aLog, /was killed by SIGKILL/, 'the crashing job lost its TaskManager');
    assert.equal((aLog.match(/started TaskManager/g) ?? []).length, 2, 'and restarted on a new one');
    assert.doesNotMatch(bLog, /is lost|was killed|exited with code/, "the other job's cluster lost no TaskManager");
    assert.equal((bLog.match(/started TaskManager/g) ?? []).length, 1, 'and started only one');
  });
}

async function archivedJobManagerLog(jobId: string): Promise<string> {
  const file = join(archive, jobId, 'logs', 'jobmanager.log');
  const text = await waitFor(`the archived log of ${jobId}`, 30_000, () => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  });
  notePids(text);
  return text;
}
