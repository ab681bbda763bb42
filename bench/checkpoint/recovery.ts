/**
 * Recovery time after a TaskManager is killed: a real standalone cluster (a JobManager and
 * TaskManager processes with one slot each, started as `weir cluster start` does, a spare
 * TaskManager per planned kill) runs the checkpoint benchmark's keyed job
 * (keyed-state-program.ts, rate-limited source) with checkpoints and a fixed-delay restart
 * strategy. Each round waits until every task runs and a checkpoint of the current attempt
 * completed, kills a TaskManager that runs tasks of the job with SIGKILL, and measures from the
 * kill to:
 * - the JobManager noticing (the job FAILING), from the job's status timestamps;
 * - the job RUNNING again (the JobMaster deployed the new attempt), from the same timestamps;
 * - every task RUNNING (REST /jobs/:id polled every 5 ms);
 * - the first checkpoint of the new attempt completed.
 * At the end the job runs to its end and the sink's counts per key must add up to the records
 * (no state update lost or repeated). Prints one JSON line prefixed `RESULT `.
 *
 *   node --import tsx bench/checkpoint/recovery.ts --kills 5 --parallelism 2 --keys 100000 --rate 50000
 */
import { readdirSync, readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { runProgram } from '../../dist/client/run-program.js';
import { RemoteClusterClient } from '../../dist/client/remote-cluster-client.js';
import { startCluster, stopCluster } from '../../dist/cluster/standalone/cluster-script.js';
import { RestClient } from '../../dist/rest/client.js';
import type { CheckpointingStatistics } from '../../dist/runtime/checkpoint/checkpoint-coordinator.js';
import type { JobDetails } from '../../dist/rest/api.js';
import type { RecoveryResult, RecoveryRound } from './results.js';
import type { SinkReport } from './keyed-state-program.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv;
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const kills = Number(opt('kills', '5'));
const parallelism = Number(opt('parallelism', '2'));
const keys = Number(opt('keys', '100000'));
const rate = Number(opt('rate', '50000'));
const interval = Number(opt('interval', '500'));
const restartDelay = Number(opt('restart-delay', '100'));
const backend = opt('backend', 'hashmap');
/** Records: enough for start-up, the kills and a few seconds after them at --rate. */
const records = Number(opt('records', String(rate * (10 + kills * 4))));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitFor<T>(what: string, ms: number, pollMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'weir-bench-recovery-'));
const confDir = join(dir, 'conf');
const logDir = join(dir, 'log');
const pidDir = join(dir, 'pid');
const out = join(dir, 'out');
mkdirSync(confDir);
const restPort = await freePort();
writeFileSync(
  join(confDir, 'config.yaml'),
  [
    `jobmanager.rpc.port: ${await freePort()}`,
    `rest.port: ${restPort}`,
    'taskmanager.numberOfTaskSlots: 1',
    `execution.checkpointing.dir: ${JSON.stringify(join(dir, 'checkpoints'))}`,
    '',
  ].join('\n'),
);
const url = `http://127.0.0.1:${restPort}`;
const rest = new RestClient({ url });
const checkpoints = (jobId: string): Promise<CheckpointingStatistics> =>
  rest.request<CheckpointingStatistics>('GET', `/jobs/${encodeURIComponent(jobId)}/checkpoints`);
const allRunning = (j: JobDetails): boolean => j.state === 'RUNNING' && j.vertices.every((v) => v.status === 'RUNNING');

const rounds: RecoveryRound[] = [];
let result: RecoveryResult | undefined;
try {
  const cluster = await startCluster({ confDir, taskManagers: parallelism + kills, logDir, pidDir });
  // TaskManager ids to pids: each TaskManager logs its id first thing; its log file is logFiles[i + 1].
  const pidOf = new Map<string, number>();
  await waitFor('every TaskManager to log its id', 30_000, 50, async () => {
    cluster.taskManagerPids.forEach((pid, i) => {
      const m = / TaskManager (\S+) starting:/.exec(readFileSync(cluster.logFiles[i + 1]!, 'utf8'));
      if (m) pidOf.set(m[1]!, pid);
    });
    return pidOf.size === cluster.taskManagerPids.length ? true : undefined;
  });

  const config = Configuration.fromEntries({
    'execution.target': 'remote',
    'execution.attached': false,
    'execution.checkpointing.interval': interval,
    'state.backend.type': backend,
    'restart-strategy.type': 'fixed-delay',
    'restart-strategy.fixed-delay.attempts': kills + 1,
    'restart-strategy.fixed-delay.delay': `${restartDelay} ms`,
  });
  const run = await runProgram({
    program: join(here, 'keyed-state-program.ts'),
    args: ['--records', String(records), '--keys', String(keys), '--rate', String(rate), '--out', out],
    parallelism,
    config,
    cluster: new RemoteClusterClient({ url }),
  });
  const jobId = run.jobs[0]!.jobId;

  for (let k = 0; k < kills; k++) {
    // Every task running and a checkpoint of this attempt completed.
    const since = await waitFor(`the job to run (round ${k + 1})`, 60_000, 20, async () => {
      const j = await rest.job(jobId);
      if (!allRunning(j)) return undefined;
      const c = await checkpoints(jobId);
      const done = c.latest.completed;
      return done && done.trigger_timestamp >= j.timestamps.RUNNING ? done.id : undefined;
    });
    const tms = (await rest.taskManagers()).taskmanagers.filter((t) => t.freeSlots < t.slotsNumber);
    const victim = tms[k % tms.length];
    const pid = victim && pidOf.get(victim.id);
    if (!victim || pid === undefined) throw new Error(`no TaskManager process of the job found (${tms.map((t) => t.id).join(', ')})`);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    pidOf.delete(victim.id);
    const restarted = await waitFor(`the job to run again after kill ${k + 1}`, 60_000, 5, async () => {
      const j = await rest.job(jobId);
      if (j.state === 'FAILED' || j.state === 'CANCELED' || j.state === 'FINISHED')
        throw new Error(`the job ended ${j.state} after a kill`);
      return (j.timestamps.FAILING ?? 0) >= killedAt && allRunning(j) ? { j, at: Date.now() } : undefined;
    });
    const ts = restarted.j.timestamps;
    const checkpointed = await waitFor(`a checkpoint after kill ${k + 1}`, 60_000, 20, async () => {
      const done = (await checkpoints(jobId)).latest.completed;
      return done && done.id > since && done.trigger_timestamp >= ts.RUNNING
        ? done.trigger_timestamp + done.end_to_end_duration
        : undefined;
    });
    rounds.push({
      detectedMs: ts.FAILING - killedAt,
      jobRunningMs: ts.RUNNING - killedAt,
      tasksRunningMs: restarted.at - killedAt,
      checkpointMs: checkpointed - killedAt,
    });
    process.stderr.write(`    kill ${k + 1}: job RUNNING after ${ts.RUNNING - killedAt} ms, tasks after ${restarted.at - killedAt} ms\n`);
  }

  const final = await waitFor('the job to finish', 10 * 60_000, 100, async () => {
    const j = await rest.job(jobId);
    return ['FINISHED', 'FAILED', 'CANCELED'].includes(j.state) ? j : undefined;
  });
  let finalKeys = 0;
  let finalCountSum = 0;
  for (const f of readdirSync(out)) {
    if (!/^sink-\d+\.json$/.test(f)) continue;
    const s = JSON.parse(readFileSync(join(out, f), 'utf8')) as SinkReport;
    finalKeys += s.finalKeys;
    finalCountSum += s.finalCountSum;
  }
  const restored = (await checkpoints(jobId)).counts.restored;
  result = {
    kills,
    parallelism,
    keys,
    rate,
    records,
    intervalMs: interval,
    restartDelayMs: restartDelay,
    status: final.state,
    restored,
    finalKeys,
    finalCountSum,
    rounds,
  };
} finally {
  await stopCluster({ pidDir, timeoutMs: 10_000 });
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
