/**
 * The `weir` command used the way Flink users use `flink`: an attached run whose JobManager goes
 * away, programs that cancel their own job, restart loops, the client's conf/config.yaml, Flink's
 * option spellings and `flink list`'s output format, `weir cluster start -D`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const WEIR = join(process.cwd(), 'bin', 'weir.mjs');
const dir = mkdtempSync(join(tmpdir(), 'weir-flink-cli-'));
const pidDirs: string[] = [];

function weir(args: string[], cwd = process.cwd()): { code: number; out: string; stdout: string } {
  const r = spawnSync(process.execPath, [WEIR, ...args], { encoding: 'utf8', timeout: 120_000, cwd });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number>;
}

function weirAsync(args: string[], cwd = process.cwd()): Running {
  const child = spawn(process.execPath, [WEIR, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, output: () => out, exited };
}

/** Resolves with the exit code, or rejects when the process is still running after `ms`. */
async function exitWithin(r: Running, ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      r.child.kill('SIGKILL');
      reject(new Error(`weir did not exit within ${ms} ms:\n${r.output()}`));
    }, ms);
  });
  try {
    return await Promise.race([r.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Cluster {
  m: string;
  restPort: number;
  pidDir: string;
  confDir: string;
  jobManagerPid: number;
  started: string;
}

async function startCluster(name: string, extraArgs: string[] = [], extraConf = ''): Promise<Cluster> {
  const base = join(dir, name);
  const confDir = join(base, 'conf');
  mkdirSync(confDir, { recursive: true });
  const restPort = await freePort();
  writeFileSync(
    join(confDir, 'config.yaml'),
    `jobmanager.rpc.port: ${await freePort()}\nrest.port: ${restPort}\ntaskmanager.numberOfTaskSlots: 4\n${extraConf}`,
  );
  const pidDir = join(base, 'pid');
  pidDirs.push(pidDir);
  const started = weir(['cluster', 'start', '--conf-dir', confDir, '--log-dir', join(base, 'log'), '--pid-dir', pidDir, ...extraArgs]);
  assert.equal(started.code, 0, started.out);
  const jobManagerPid = Number(readFileSync(join(pidDir, 'weir-jobmanager.pid'), 'utf8').trim());
  return { m: `127.0.0.1:${restPort}`, restPort, pidDir, confDir, jobManagerPid, started: started.out };
}

after(() => {
  for (const p of pidDirs) weir(['cluster', 'stop', '--pid-dir', p]);
});

for (const how of ['kill -9', 'DELETE /cluster'] as const) {
  test(`an attached weir run whose JobManager is gone (${how}) reports WEIR_JOBMANAGER_LOST and exits non-zero`, async () => {
    const c = await startCluster(`lost-${how === 'kill -9' ? 'kill' : 'delete'}`);
    const run = weirAsync(['run', '-m', c.m, 'test/programs/session-job.ts', '--', 'inf', '200', join(dir, `lost-out-${how.length}`)]);
    await waitFor('the job to run', 60_000, () => /RUNNING/.test(run.output()));
    if (how === 'kill -9') process.kill(c.jobManagerPid, 'SIGKILL');
    else await fetch(`http://${c.m}/cluster`, { method: 'DELETE' });
    const code = await exitWithin(run, 45_000);
    assert.notEqual(code, 0, run.output());
    assert.match(run.output(), /WEIR_JOBMANAGER_LOST/);
    assert.match(run.output(), /Lost the connection to the JobManager/);
  });
}

let shared: Promise<Cluster> | undefined;
/** One session cluster for the tests below, started with -D (applied to the JobManager and the TaskManagers). */
async function session(): Promise<Cluster> {
  shared ??= (async () => {
    const restPort = await freePort();
    const c = await startCluster(
      'session',
      ['-D', `rest.port=${restPort}`, '-D', 'taskmanager.numberOfTaskSlots=3'],
      'slot.request.timeout: 3s\n',
    );
    return { ...c, m: `127.0.0.1:${restPort}`, restPort };
  })();
  return shared;
}

test('weir cluster start -D key=value applies to every process it starts', async () => {
  const c = await session();
  assert.match(c.started, /1 TaskManager\(s\).*3 slots/, c.started);
  const overview = (await (await fetch(`http://${c.m}/overview`)).json()) as { 'slots-total': number };
  assert.equal(overview['slots-total'], 3, 'the REST API answers on the -D rest.port, and the TaskManager has the -D slots');
});

test('a program that cancels its own job through its JobClient and returns normally exits 0 (local)', () => {
  const r = weir(['run', 'test/programs/self-cancel.ts']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /CANCELED \(cancelled by the program through its JobClient\)/);
});

test('a program that cancels its own job through its JobClient and returns normally exits 0 (remote)', async () => {
  const c = await session();
  const r = weir(['run', '-m', c.m, 'test/programs/self-cancel.ts']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /cancelled job [0-9a-f]{32}/);
});

test('a program that cancels its own job through its JobClient and returns normally exits 0 (process-application)', () => {
  const r = weir([
    'run',
    '-t',
    'process-application',
    '-D',
    `process.working-dir=${join(dir, 'app-work')}`,
    'test/programs/self-cancel.ts',
  ]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /Application \S+ FINISHED: 1 job\(s\)/, r.out);
  assert.match(r.out, /CANCELED/, r.out);
});

test('an attached run of a job restarting in a loop shows each distinct cause once and the restart count', async () => {
  const c = await session();
  const r = weir([
    'run',
    '-m',
    c.m,
    '-D',
    'restart-strategy.type=fixed-delay',
    '-D',
    'restart-strategy.fixed-delay.attempts=3',
    '-D',
    'restart-strategy.fixed-delay.delay=700ms',
    'test/programs/restart-loop.ts',
    '--',
    join(dir, 'restart-loop-marker'),
  ]);
  assert.equal(r.code, 1, r.out);
  const failureLines = r.out.split('\n').filter((l) => / Failure #\d+: /.test(l));
  assert.equal(failureLines.filter((l) => l.includes('first attempt broke')).length, 1, r.out);
  assert.equal(failureLines.filter((l) => l.includes('later attempt broke')).length, 1, r.out);
  assert.match(failureLines[0]!, /Failure #1: WEIR_USER_FUNCTION: .*first attempt broke/, r.out);
  assert.match(r.out, /RESTARTING \(1 restart\)/, r.out);
  assert.match(r.out, /\(3 restarts\)/, r.out);
});

test("weir run sends only the job keys of the client's conf/config.yaml to a running cluster, and says so", async () => {
  const c = await session();
  const cwd = join(dir, 'client');
  mkdirSync(join(cwd, 'conf'), { recursive: true });
  // A cluster key in the client's file must not reach the job: the cluster's 3 s slot timeout applies.
  writeFileSync(join(cwd, 'conf', 'config.yaml'), 'parallelism.default: 5\nslot.request.timeout: 10min\n');
  const run = weirAsync(
    ['run', '-m', c.m, join(process.cwd(), 'test/programs/session-job.ts'), '--', '100', '1000', join(cwd, 'out')],
    cwd,
  );
  const code = await exitWithin(run, 90_000);
  assert.equal(code, 1, run.output());
  assert.ok(
    run
      .output()
      .includes(
        `Using configuration ${join(cwd, 'conf', 'config.yaml')} (job keys: parallelism.default); its other keys are not sent to the cluster: slot.request.timeout`,
      ),
    run.output(),
  );
  assert.match(run.output(), /WEIR_NOT_ENOUGH_SLOTS/);
});

const FLINK_LINE = (id: string, name: string, state: string): RegExp =>
  new RegExp(`^\\d\\d\\.\\d\\d\\.\\d{4} \\d\\d:\\d\\d:\\d\\d : ${id} : ${name} \\(${state}\\)$`, 'm');

test("Flink's spellings: list -r/-s in Flink's format, checkpoint, savepoint --type/-detached/-d, stop --savepointPath, cancel -s, -sae, -cm", async () => {
  const c = await session();
  const m = ['-m', c.m];
  const savepoints = join(dir, 'savepoints');
  const conf = ['-D', 'execution.checkpointing.interval=1h', '-D', `execution.checkpointing.savepoint-dir=${savepoints}`];
  const submitted = weir(['run', '-detached', ...m, ...conf, 'test/programs/session-job.ts', '--', 'inf', '200', join(dir, 'flink-a')]);
  assert.equal(submitted.code, 0, submitted.out);
  const id = /JobID ([0-9a-f]{32})/.exec(submitted.stdout)![1]!;
  await waitFor('the job to run', 60_000, () => /\(RUNNING\)/.test(weir(['list', ...m, '-r']).stdout));

  const running = weir(['list', ...m, '-r']);
  assert.equal(running.code, 0, running.out);
  assert.match(running.stdout, /^------------------ Running\/Restarting Jobs -------------------\n/);
  assert.match(running.stdout, FLINK_LINE(id, 'session-job-inf', 'RUNNING'));
  assert.match(running.stdout, /\n-{62}\n$/);
  assert.equal(weir(['list', ...m, '--scheduled']).stdout, 'No scheduled jobs.\n');
  const both = weir(['list', ...m, '--format', 'flink']).stdout;
  assert.match(both, FLINK_LINE(id, 'session-job-inf', 'RUNNING'));
  assert.match(both, /^No scheduled jobs\.$/m);

  const cp = weir(['checkpoint', id, ...m]);
  assert.equal(cp.code, 0, cp.out);
  assert.match(cp.stdout, new RegExp(`^Checkpoint \\d+ for job ${id} completed\\.$`, 'm'));
  const full = weir(['checkpoint', '-full', id, ...m]);
  assert.equal(full.code, 0, full.out);
  assert.match(full.stdout, new RegExp(`^Checkpoint\\(FULL\\) \\d+ for job ${id} completed\\.$`, 'm'));

  const detached = weir(['savepoint', id, ...m, '-type', 'native', '-detached']);
  assert.equal(detached.code, 0, detached.out);
  assert.match(detached.stdout, /^Successfully trigger manual savepoint, triggerId: [0-9a-f]+$/m);
  assert.match(detached.out, /canonical format only/);
  const sp = weir(['savepoint', id, ...m, '--type', 'canonical']);
  assert.equal(sp.code, 0, sp.out);
  const spPath = /Savepoint completed\. Path: (\S+)/.exec(sp.stdout)![1]!;
  assert.ok(existsSync(join(spPath, '_metadata')), sp.out);
  const disposed = weir(['savepoint', '-d', spPath]);
  assert.equal(disposed.code, 0, disposed.out);
  assert.match(disposed.stdout, /disposed\./);
  assert.ok(!existsSync(spPath), 'the savepoint directory is gone');
  assert.equal(weir(['savepoint', '--dispose', join(dir, 'flink-a')]).code, 1, 'a directory without _metadata is not deleted');

  const stopDir = join(dir, 'stopped');
  const stopped = weir(['stop', id, ...m, '--savepointPath', stopDir, '-type', 'canonical']);
  assert.equal(stopped.code, 0, stopped.out);
  const stopPath = /Savepoint completed\. Path: (\S+)/.exec(stopped.stdout)![1]!;
  assert.ok(stopPath.startsWith(stopDir), stopped.out);

  // -sae is --shutdownOnAttachedExit (not -s ae); --allowNonRestoredState and -cm are accepted with -s.
  const attached = weirAsync([
    'run',
    ...m,
    '-sae',
    '-s',
    stopPath,
    '--allowNonRestoredState',
    '-cm',
    'CLAIM',
    ...conf,
    'test/programs/session-job.ts',
    '--',
    'inf',
    '200',
    join(dir, 'flink-b'),
  ]);
  await waitFor('the restored job to run', 60_000, () => / RUNNING/.test(attached.output())).catch((e: unknown) => {
    attached.child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}:\n${attached.output()}`);
  });
  assert.match(attached.output(), /Claim mode CLAIM: Weir restores as NO_CLAIM/);
  const id2 = /\(([0-9a-f]{32})\)/.exec(attached.output())![1]!;
  attached.child.kill('SIGINT');
  const code = await exitWithin(attached, 30_000);
  assert.notEqual(code, 0);
  assert.match(attached.output(), new RegExp(`Cancelled job ${id2}\\.`));
  const all = weir(['list', ...m, '-a', '--format', 'flink']).stdout;
  assert.match(all, /^---------------------- Terminated Jobs -----------------------$/m);
  assert.match(all, FLINK_LINE(id2, 'session-job-inf', 'CANCELED'));
  assert.match(all, FLINK_LINE(id, 'session-job-inf', 'FINISHED'));

  // cancel -s/--withSavepoint: a savepoint, then the job ends.
  const third = weir(['run', '-d', ...m, ...conf, 'test/programs/session-job.ts', '--', 'inf', '200', join(dir, 'flink-c')]);
  const id3 = /JobID ([0-9a-f]{32})/.exec(third.stdout)![1]!;
  await waitFor('the third job to run', 60_000, () =>
    FLINK_LINE(id3, 'session-job-inf', 'RUNNING').test(weir(['list', ...m, '-r']).stdout),
  );
  // As in Flink, `cancel -s <jobId>`: the option's optional value is the job id (default savepoint directory).
  const cancelled = weir(['cancel', ...m, '-s', id3]);
  assert.equal(cancelled.code, 0, cancelled.out);
  assert.match(cancelled.stdout, new RegExp(`^Cancelled job ${id3}\\. Savepoint stored in ${savepoints}/savepoint-.*\\.$`, 'm'));
});
