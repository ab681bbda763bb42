/**
 * Submit-to-RUNNING latency in session mode: a real standalone cluster (a JobManager and one
 * TaskManager process, started as `weir cluster start` does) receives the same small job several
 * times; for each run it reports the time from the client's submission (bundle upload + run
 * request) to the job's RUNNING status and to every task RUNNING, and from the start of `weir run`'s
 * work (bundling, main() in plan mode) to RUNNING. Prints one JSON line.
 *
 *   node --import tsx bench/micro/session-latency.ts --runs 10 [--pause 1500] [--warm-pool 0]
 *
 * --pause: ms after each job before the next (the TaskManager's warm pool refills in the
 * background after a job ends; back-to-back jobs may find its workers still starting).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Configuration } from '../../dist/config/index.js';
import { runProgram } from '../../dist/client/run-program.js';
import { RemoteClusterClient } from '../../dist/client/remote-cluster-client.js';
import { startCluster, stopCluster } from '../../dist/cluster/standalone/cluster-script.js';
import { RestClient } from '../../dist/rest/client.js';
import type { ClusterClient } from '../../dist/client/cluster-client.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 10);
/** Pause after each job (ms): the TaskManager's warm pool refills in the background after a job ends. */
const pauseMs = process.argv.includes('--pause') ? Number(process.argv[process.argv.indexOf('--pause') + 1]) : 0;
/** taskmanager.slot.warm-pool.size (default: the TaskManager's default, 1); 0 measures start-up without the pool. */
const warmPool = process.argv.includes('--warm-pool') ? Number(process.argv[process.argv.indexOf('--warm-pool') + 1]) : undefined;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const dir = mkdtempSync(join(tmpdir(), 'weir-session-bench-'));
const confDir = join(dir, 'conf');
mkdirSync(confDir);
const restPort = await freePort();
writeFileSync(
  join(confDir, 'config.yaml'),
  `jobmanager.rpc.port: ${await freePort()}\nrest.port: ${restPort}\ntaskmanager.numberOfTaskSlots: 2\n` +
    (warmPool === undefined ? '' : `taskmanager.slot.warm-pool.size: ${warmPool}\n`),
);
const pidDir = join(dir, 'pid');
await startCluster({ confDir, taskManagers: 1, logDir: join(dir, 'log'), pidDir });
const url = `http://127.0.0.1:${restPort}`;
const rest = new RestClient({ url });

const toRunning: number[] = [];
const toTasksRunning: number[] = [];
const runToRunning: number[] = [];
try {
  for (let i = 0; i < runs + 1; i++) {
    const remote = new RemoteClusterClient({ url });
    let submitAt = 0;
    // Times the submission itself: the moment the client starts talking to the cluster.
    const timed: ClusterClient = Object.assign(Object.create(remote) as ClusterClient, {
      submit: (...args: Parameters<ClusterClient['submit']>) => {
        submitAt = performance.now();
        return remote.submit(...args);
      },
    });
    const config = Configuration.fromEntries({ 'execution.target': 'remote', 'execution.attached': false });
    const start = performance.now();
    const run = await runProgram({ program: 'bench/micro/session-program.ts', config, cluster: timed });
    const jobId = run.jobs[0]!.jobId;
    let running = 0;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const job = await rest.job(jobId);
      const now = performance.now();
      if (!running && job.state === 'RUNNING') running = now;
      if (job.vertices.every((v) => v.status === 'RUNNING')) {
        if (i > 0) {
          // the first run warms up the JobManager's and TaskManager's code paths
          toRunning.push((running || now) - submitAt);
          toTasksRunning.push(now - submitAt);
          if (process.env.WEIR_BENCH_VERBOSE) console.error(`run ${i}: tasks RUNNING ${(now - submitAt).toFixed(0)} ms`);
          runToRunning.push((running || now) - start);
        }
        break;
      }
      if (Date.now() > deadline) throw new Error(`job ${jobId} did not reach RUNNING`);
      await new Promise((r) => setTimeout(r, 1));
    }
    await rest.cancelJob(jobId);
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
} finally {
  await stopCluster({ pidDir });
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  JSON.stringify({
    runs,
    submitToRunningMs: { median: median(toRunning), min: Math.min(...toRunning), max: Math.max(...toRunning) },
    submitToTasksRunningMs: { median: median(toTasksRunning), min: Math.min(...toTasksRunning), max: Math.max(...toTasksRunning) },
    weirRunToRunningMs: { median: median(runToRunning), min: Math.min(...runToRunning), max: Math.max(...runToRunning) },
  }),
);
process.exit(0);
