/**
 * A JobManager in the test process and TaskManager processes (one slot each) that a test may kill
 * with SIGKILL: the cluster of the chaos tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { runJobManager, type JobManagerProcess } from '../../dist/cluster/standalone/jobmanager-main.js';
import { runProgram } from '../../dist/client/run-program.js';
import type { JobMaster } from '../../dist/runtime/jobmanager/job-master.js';
import type { Logger } from '../../dist/runtime/rpc/transport.js';
import { waitFor } from './wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'process-cluster-secret-0123456789abcdef';

export interface TmProcess {
  child: ChildProcess;
  id: string | undefined;
  exited: Promise<unknown>;
}

export interface ProcessCluster {
  jm: JobManagerProcess;
  tms: TmProcess[];
  /** SIGKILLs a live TaskManager process that runs a task of the job; false when there is none. */
  killOneOf(taskManagerIds: readonly string[]): Promise<boolean>;
  /** Starts one more TaskManager process (e.g. replacing a killed one); it registers on its own. */
  startTaskManager(): TmProcess;
  close(): Promise<void>;
}

/** `config`: given to the JobManager and every TaskManager (e.g. s3.* settings). */
export async function startProcessCluster(dir: string, taskManagers: number, config: Record<string, string> = {}): Promise<ProcessCluster> {
  const launcher = path.join(dir, 'taskmanager.mjs');
  fs.writeFileSync(
    launcher,
    `const { Configuration } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/config/index.js')).href)});\n` +
      `const { runTaskManager } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/cluster/standalone/taskmanager-main.js')).href)});\n` +
      `await runTaskManager(Configuration.fromEntries(JSON.parse(process.env.WEIR_TEST_CONFIG)), process.env.WEIR_TEST_JOBMANAGER);\n`,
  );
  const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const jm = await runJobManager(
    Configuration.fromEntries({
      'jobmanager.rpc.address': '127.0.0.1',
      'jobmanager.rpc.port': 0,
      'rest.port': 0,
      'heartbeat.interval': '200 ms',
      'heartbeat.timeout': '2 s',
      'security.cluster.secret': SECRET,
      ...config,
    }),
    { handleSignals: false, log: quiet },
  );
  const tms: TmProcess[] = [];
  const startTaskManager = (): TmProcess => {
    const child = spawn(process.execPath, [launcher], {
      cwd: root,
      env: {
        ...process.env,
        TMPDIR: dir,
        WEIR_TEST_CONFIG: JSON.stringify({
          'security.cluster.secret': SECRET,
          'taskmanager.numberOfTaskSlots': 1,
          'weir.log.level': 'info',
          ...config,
        }),
        WEIR_TEST_JOBMANAGER: jm.rpcAddress,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tm: TmProcess = { child, id: undefined, exited: once(child, 'exit') };
    const onData = (chunk: Buffer): void => {
      const m = / TaskManager (\S+) starting:/.exec(chunk.toString('utf8'));
      if (m) tm.id ??= m[1];
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    tms.push(tm);
    return tm;
  };
  for (let i = 0; i < taskManagers; i++) startTaskManager();
  await waitFor('the TaskManagers to register', 30_000, () => jm.rpc.taskManagerIds.length === taskManagers);
  const alive = (x: TmProcess): boolean => x.child.exitCode === null && x.child.signalCode === null;
  return {
    jm,
    tms,
    startTaskManager,
    async killOneOf(ids) {
      const victim = tms.find((x) => x.id !== undefined && ids.includes(x.id) && alive(x));
      if (!victim) return false;
      victim.child.kill('SIGKILL');
      await victim.exited;
      return true;
    },
    async close() {
      for (const x of tms) if (alive(x)) x.child.kill('SIGKILL');
      await Promise.all(tms.map((x) => x.exited));
      await jm.close();
    },
  };
}

/** What the kill loop reads of a job (the JobMaster's view in the JobManager). */
export interface ChaosJob {
  readonly status: string;
  readonly attempt: number;
  readonly taskManagerIds: readonly string[];
  checkpointStats(): { counts: { completed: number } };
  readonly exceptions: readonly { error: { message: string } }[];
}

export interface KillLoopOptions {
  kills: number;
  /** Before each kill the job runs and has completed a checkpoint: 'first' (only before the first kill) or 'each' (a new one each time). */
  checkpoints: 'first' | 'each';
  /** Milliseconds to wait after that before killing: a random moment, not a synchronisation. */
  pauseMs: () => number;
  /** Start a new TaskManager process after each kill (otherwise spare ones take over). */
  replace: boolean;
  /** Told after each failover was seen. */
  onKill?: (kill: number, failoverMs: number) => void;
}

const ENDED = ['FINISHED', 'FAILED', 'CANCELED'];

/**
 * The chaos loop of the exactly-once tests: kills a TaskManager process of the running job with
 * SIGKILL at random moments, `kills` times, each after the job runs again, and waits for the
 * failover. Stops early when the job ends (a bounded job may finish first); returns the kills done.
 */
export async function killTaskManagers(cluster: ProcessCluster, job: ChaosJob, o: KillLoopOptions): Promise<number> {
  let killed = 0;
  for (let k = 0; k < o.kills; k++) {
    const attempt = job.attempt;
    const before = o.checkpoints === 'each' ? job.checkpointStats().counts.completed : k === 0 ? 0 : -1;
    await waitFor(
      'the job to run',
      30_000,
      () => ENDED.includes(job.status) || (job.status === 'RUNNING' && job.checkpointStats().counts.completed > before),
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}: kill ${k}, status ${job.status}, attempt ${job.attempt}, checkpoints ${JSON.stringify(job.checkpointStats().counts)}, failures ${JSON.stringify(job.exceptions.map((x) => x.error.message))}`,
      );
    });
    await new Promise((r) => setTimeout(r, o.pauseMs()));
    if (job.status !== 'RUNNING' || job.attempt !== attempt) break;
    if (!(await cluster.killOneOf(job.taskManagerIds)))
      throw new Error(`no live TaskManager process of the job (${job.taskManagerIds.join(', ')})`);
    const killedAt = Date.now();
    if (o.replace) cluster.startTaskManager();
    killed++;
    await waitFor('the job to fail over', 30_000, () => job.attempt > attempt || ENDED.includes(job.status));
    o.onKill?.(killed, Date.now() - killedAt);
  }
  return killed;
}

/**
 * Submits the job of a chaos test to the cluster: fixed-delay restarts (four attempts per planned
 * kill, 200 ms apart) and checkpoints under `checkpointDir`; resolves with its JobMaster once it
 * is submitted (the program's run goes on in the background).
 */
export async function submitChaosJob(
  cluster: ProcessCluster,
  o: { program: string; args: string[]; kills: number; checkpointDir: string; onSubmitted?: (jobId: string) => void },
): Promise<JobMaster> {
  let jobId: string | undefined;
  const run = runProgram({
    program: o.program,
    args: o.args,
    cluster: cluster.jm.client,
    config: Configuration.fromEntries({
      'restart-strategy.type': 'fixed-delay',
      'restart-strategy.fixed-delay.attempts': 4 * o.kills,
      'restart-strategy.fixed-delay.delay': '200 ms',
      'execution.checkpointing.dir': o.checkpointDir,
    }),
    listener: {
      onSubmitted: (j) => {
        jobId = j.jobId;
        o.onSubmitted?.(j.jobId);
      },
    },
  });
  run.catch(() => undefined);
  await waitFor('the job to be submitted', 30_000, () => jobId !== undefined);
  return cluster.jm.jobManager.dispatcher.job(jobId!);
}

/** Cancels the chaos test's job unless it ended (a failed test leaves no job running). */
export function cancelUnlessEnded(cluster: ProcessCluster | undefined, jobId: string | undefined): void {
  if (jobId === undefined || !cluster) return;
  const job = cluster.jm.jobManager.dispatcher.job(jobId);
  if (!ENDED.includes(job.status)) job.cancel();
}
