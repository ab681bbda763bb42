/**
 * One deployment mode of the deployment benchmark, in its own process: runs the real `weir run`
 * command (a child process, as a user would) on bench/deployment/program.ts `--runs` times and
 * takes, per run, against the wall clock read just before the spawn:
 *
 * - submitted: the job's `start-time` (the JobManager accepted the job);
 * - RUNNING: the job's `timestamps.RUNNING` (every slot allocated, tasks being deployed);
 * - FINISHED: the job's `timestamps.FINISHED`;
 * - exit: the `weir run` command's exit (attached: it has printed the job's result; for per-job and
 *   application the cluster has also been torn down).
 *
 * The timestamps are those of the job's `/jobs/:id` REST document: asked from the cluster's REST API
 * for the session modes (the cluster outlives the run), read from the job archive
 * (`jobmanager.archive.dir`, the same document written when the job ended) for local, per-job and
 * application, whose cluster is gone when `weir run` returns. Every process runs on this machine, so
 * the JobManager's clock is the benchmark's.
 *
 * Session clusters are started once with `weir cluster start` before the runs and stopped with
 * `weir cluster stop` after them (also on failure); each first runs one unmeasured job, so the
 * JobManager's code paths are warm:
 * - remote: a standalone cluster, a TaskManager started with it;
 * - process-session-warm: the process provider, its TaskManager already running (started by the
 *   warm-up job, kept for 10 min);
 * - process-session-cold: the process provider with `resourcemanager.taskmanager-timeout: 200 ms`;
 *   each run waits until the previous TaskManager is gone, so the job starts one.
 *
 * Prints one JSON line prefixed `RESULT ` (DeploymentModeResult).
 *
 *   node --import tsx bench/deployment/measure-mode.ts --mode process-per-job --runs 5 --records 5000 --parallelism 2 [--slots 2]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeploymentMode, type DeploymentMode, type DeploymentModeResult, type DeploymentRun } from './results.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const WEIR = join(root, 'bin', 'weir.mjs');
const PROGRAM = join(here, 'program.ts');

const argv = process.argv;
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const modeArg = opt('mode', '');
if (!isDeploymentMode(modeArg)) throw new Error(`--mode: unknown deployment mode '${modeArg}'`);
const mode: DeploymentMode = modeArg;
const runs = Number(opt('runs', '5'));
const records = Number(opt('records', '5000'));
const parallelism = Number(opt('parallelism', '2'));
/** taskmanager.numberOfTaskSlots of every cluster (default: the parallelism, so one TaskManager runs the job). */
const slots = Number(opt('slots', String(parallelism)));
/** Deadline of one `weir run`, and of every wait on a cluster. */
const DEADLINE_MS = 120_000;

const dir = mkdtempSync(join(tmpdir(), 'weir-deploy-bench-'));
const work = join(dir, 'work');
const archive = join(dir, 'archive');
mkdirSync(work);

// ---- processes: everything started here is stopped, also on failure ----------------------------

/** Whether `pid` is a process of this benchmark (its command line names the benchmark's directory). */
function ours(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

function killGroup(pid: number): void {
  if (!ours(pid)) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // no such group or process
    }
  }
}

/** Pids of dedicated clusters (jobmanager.json of each cluster directory still present). */
function dedicatedPids(): number[] {
  if (!existsSync(work)) return [];
  const pids: number[] = [];
  for (const d of readdirSync(work)) {
    try {
      pids.push((JSON.parse(readFileSync(join(work, d, 'jobmanager.json'), 'utf8')) as { pid: number }).pid);
    } catch {
      // not a cluster directory, or not written yet
    }
  }
  return pids;
}

function pidFilePids(pidDir: string): number[] {
  if (!existsSync(pidDir)) return [];
  return readdirSync(pidDir).flatMap((f) =>
    readFileSync(join(pidDir, f), 'utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l.trim()))
      .map(Number),
  );
}

const pidDirs: string[] = [];
const children = new Set<number>();

/** Stops whatever is left: session clusters (`weir cluster stop`, then SIGKILL), dedicated clusters, `weir run` children. */
function stopEverything(): void {
  for (const pidDir of pidDirs) {
    const left = pidFilePids(pidDir);
    spawnSync(process.execPath, [WEIR, 'cluster', 'stop', '--pid-dir', pidDir], { stdio: 'ignore', timeout: 30_000 });
    for (const p of left) killGroup(p);
  }
  pidDirs.length = 0;
  for (const p of dedicatedPids()) killGroup(p);
  for (const p of children) killGroup(p);
  children.clear();
}

process.on('exit', () => {
  stopEverything();
  if (!process.env.WEIR_BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

// ---- helpers ---------------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitFor<T>(what: string, pollMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${mode}: timed out after ${DEADLINE_MS} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const r = await fetch(url);
    return r.ok ? ((await r.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

interface Exited {
  code: number;
  out: string;
  exitAt: number;
}

/** Runs `weir <args>` as a child process; resolves at its exit (killed after the deadline). */
function weir(args: string[]): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WEIR, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child.pid!);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const exitAt = Date.now();
      clearTimeout(timer);
      children.delete(child.pid!);
      resolve({ code: code ?? (signal ? 128 : -1), out, exitAt });
    });
  });
}

interface JobDoc {
  jid: string;
  state: string;
  'start-time': number;
  timestamps: Record<string, number>;
  vertices: { name: string; metrics: { 'read-records': number } }[];
}

// ---- session clusters ------------------------------------------------------------------------------

interface Session {
  rest: string;
}

async function startSession(provider: 'standalone' | 'process', extraConf: string): Promise<Session> {
  const confDir = join(dir, 'conf');
  mkdirSync(confDir, { recursive: true });
  const restPort = await freePort();
  writeFileSync(
    join(confDir, 'config.yaml'),
    `jobmanager.rpc.port: ${await freePort()}\nrest.port: ${restPort}\ntaskmanager.numberOfTaskSlots: ${slots}\n` +
      `process.working-dir: ${JSON.stringify(work)}\n${extraConf}`,
  );
  const pidDir = join(dir, 'pid');
  pidDirs.push(pidDir);
  const started = await weir([
    'cluster',
    'start',
    '--provider',
    provider,
    '--conf-dir',
    confDir,
    '--log-dir',
    join(dir, 'log'),
    '--pid-dir',
    pidDir,
  ]);
  if (started.code !== 0) throw new Error(`${mode}: weir cluster start failed:\n${started.out}`);
  const rest = `127.0.0.1:${restPort}`;
  await waitFor(`the REST API at ${rest}`, 20, () => getJson<Overview>(`http://${rest}/overview`));
  return { rest };
}

interface Overview {
  taskmanagers: number;
  'slots-total': number;
  'slots-available': number;
}

/** Waits until the cluster is idle: with `taskManagers: 0` until none is left, else until one runs and every slot is free. */
function clusterIdle(s: Session, taskManagers: 0 | 'some'): Promise<Overview> {
  return waitFor(`the cluster at ${s.rest} to be idle`, 20, async () => {
    const o = await getJson<Overview>(`http://${s.rest}/overview`);
    if (!o) return undefined;
    if (taskManagers === 0) return o.taskmanagers === 0 ? o : undefined;
    return o.taskmanagers > 0 && o['slots-available'] === o['slots-total'] ? o : undefined;
  });
}

// ---- one run ---------------------------------------------------------------------------------------

function runArgs(): string[] {
  const job = ['-p', String(parallelism), PROGRAM, '--', String(records)];
  const archiveFlag = ['-D', `jobmanager.archive.dir=${archive}`];
  switch (mode) {
    case 'local':
      return ['run', ...archiveFlag, ...job];
    case 'remote':
    case 'process-session-warm':
    case 'process-session-cold':
      return ['run', '-t', mode === 'remote' ? 'remote' : 'process-session', '-m', session!.rest, ...job];
    case 'process-per-job':
    case 'process-application':
      // TaskManagers of `slots` slots, as in the session clusters.
      return [
        'run',
        '-t',
        mode,
        '-D',
        `process.working-dir=${work}`,
        '-D',
        `taskmanager.numberOfTaskSlots=${slots}`,
        ...archiveFlag,
        ...job,
      ];
  }
}

async function runOnce(): Promise<DeploymentRun> {
  const args = runArgs();
  const spawnAt = Date.now();
  const r = await weir(args);
  if (r.code !== 0) throw new Error(`${mode}: weir ${args.join(' ')} exited with ${r.code}:\n${r.out}`);
  const m = /\(([0-9a-f]{32})\) to the|submitted job ([0-9a-f]{32})/.exec(r.out);
  if (!m) throw new Error(`${mode}: no job id in the output of weir run:\n${r.out}`);
  const jobId = (m[1] ?? m[2])!;
  const job = session
    ? await waitFor(`job ${jobId} on the cluster`, 20, () => getJson<JobDoc>(`http://${session!.rest}/jobs/${jobId}`))
    : await waitFor(`the archive of job ${jobId}`, 20, () => {
        const f = join(archive, jobId, 'job.json');
        return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as JobDoc) : undefined;
      });
  const at = (t: number | undefined): number => (t ? t - spawnAt : NaN);
  const sink = job.vertices.at(-1);
  return {
    jobId,
    state: job.state,
    submittedMs: at(job['start-time']),
    runningMs: at(job.timestamps.RUNNING),
    finishedMs: at(job.timestamps.FINISHED),
    exitMs: r.exitAt - spawnAt,
    sinkRecords: sink?.metrics['read-records'] ?? -1,
  };
}

// ---- the mode --------------------------------------------------------------------------------------

let session: Session | undefined;
const measured: DeploymentRun[] = [];
const started = Date.now();
try {
  if (mode === 'remote') session = await startSession('standalone', '');
  else if (mode === 'process-session-warm') session = await startSession('process', 'resourcemanager.taskmanager-timeout: 10 min\n');
  else if (mode === 'process-session-cold') session = await startSession('process', 'resourcemanager.taskmanager-timeout: 200 ms\n');
  if (session) await runOnce(); // warm-up: not measured
  for (let i = 0; i < runs; i++) {
    if (mode === 'remote' || mode === 'process-session-warm') await clusterIdle(session!, 'some');
    else if (mode === 'process-session-cold') await clusterIdle(session!, 0);
    measured.push(await runOnce());
  }
} finally {
  stopEverything();
}
const leftovers = dedicatedPids().filter(ours);
const result: DeploymentModeResult = {
  mode,
  records,
  parallelism,
  slots,
  runs: measured,
  leftoverProcesses: leftovers.length,
  totalMs: Date.now() - started,
};
console.log(`RESULT ${JSON.stringify(result)}`);
