/**
 * High-availability failover: two `weir jobmanager` processes with the same HA configuration, one
 * `weir taskmanager`, a checkpointed keyed job; the leader is killed with kill -9 `kills` times
 * (started again as a standby after each). Measured per kill: kill → a new leader is elected
 * (leader retrieval reports it) and kill → the job is RUNNING again on it. Real etcd and ZooKeeper
 * servers, default timeouts (etcd lease 2 s, ZooKeeper session 2 s with tickTime 200 ms).
 */
import { join } from 'node:path';
import { HaCluster } from '../../test/helpers/ha-cluster.js';
import { startEtcd } from '../../test/helpers/services/etcd.js';
import { startZooKeeper } from '../../test/helpers/services/zookeeper.js';
import { waitFor } from '../../test/helpers/wait.js';

export interface HaSuiteOptions {
  kills: number;
  backends: ('etcd' | 'zookeeper')[];
}

export interface HaBackendResult {
  backend: 'etcd' | 'zookeeper';
  electedMs: number[];
  runningMs: number[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function runBackend(backend: 'etcd' | 'zookeeper', kills: number, progress: (s: string) => void): Promise<HaBackendResult> {
  const server = backend === 'etcd' ? await startEtcd() : await startZooKeeper();
  const conf: Record<string, string> =
    backend === 'etcd'
      ? { 'high-availability.type': 'etcd', 'high-availability.etcd.endpoints': (server as { endpoint: string }).endpoint }
      : { 'high-availability.type': 'zookeeper', 'high-availability.zookeeper.quorum': (server as { quorum: string }).quorum };
  const cluster = new HaCluster(conf);
  const result: HaBackendResult = { backend, electedMs: [], runningMs: [] };
  try {
    await cluster.startJobManager();
    await cluster.startJobManager();
    let leader = await cluster.leader(30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${cluster.logs(12)}`);
    });
    cluster.startTaskManager();
    const run = cluster.weir('run', [
      'run',
      '-d',
      '-t',
      'remote',
      'test/programs/checkpointed-keyed.ts',
      '--',
      join(cluster.dir, 'out'),
      join(cluster.dir, 'm'),
      '-1',
      '100000000',
      '200',
      '5',
      '500',
    ]);
    const ha = await cluster.ha();
    const jobId = await waitFor('the job', 60_000, async () => (await ha.executionPlans.jobIds())[0]);
    const running = async (url: string): Promise<boolean> => {
      const r = await fetch(`${url}/jobs/${jobId}`).catch(() => undefined);
      return !!r?.ok && ((await r.json()) as { state: string }).state === 'RUNNING';
    };
    await waitFor('the job to run', 60_000, () => running(leader.restUrl));
    for (let i = 0; i < kills; i++) {
      await waitFor('a checkpoint', 30_000, async () => (await ha.checkpointStore(jobId).latest()) !== undefined);
      const old = leader;
      // The cluster's leader-retrieval subscription tells when another JobManager is published as leader.
      const t0 = performance.now();
      old.proc.child.kill('SIGKILL');
      const elected =
        (await waitFor(
          'a new leader',
          30_000,
          () => {
            const l = cluster.retrievedLeader;
            return l && l.pid !== old.pid ? performance.now() : undefined;
          },
          { maxIntervalMs: 10 },
        ).catch((e: Error) => {
          throw new Error(`${e.message}\n${cluster.logs(12)}`);
        })) - t0;
      leader = await cluster.leader(30_000, old.pid);
      await waitFor('the job to run again', 30_000, () => running(leader.restUrl), { maxIntervalMs: 10 });
      result.electedMs.push(elected);
      result.runningMs.push(performance.now() - t0);
      progress(
        `  ha ${backend}: kill ${i + 1}/${kills}: elected ${elected.toFixed(0)} ms, RUNNING ${result.runningMs.at(-1)!.toFixed(0)} ms\n`,
      );
      cluster.restartJobManager(old.proc);
    }
    void run;
  } finally {
    await cluster.stop();
    await server.stop();
  }
  return result;
}

export async function runHaSuite(o: HaSuiteOptions, progress: (s: string) => void): Promise<HaBackendResult[]> {
  const out: HaBackendResult[] = [];
  for (const b of o.backends) out.push(await runBackend(b, o.kills, progress));
  return out;
}

export function reportHaSuite(results: HaBackendResult[], o: HaSuiteOptions): string[] {
  const lines = [
    '',
    `## High availability: kill -9 of the leading JobManager (${o.kills} kills per backend, default timeouts)`,
    '',
    '| backend | new leader elected: median / max | job RUNNING again: median / max |',
    '|---|---|---|',
  ];
  for (const r of results)
    lines.push(
      `| ${r.backend} | ${median(r.electedMs).toFixed(0)} / ${Math.max(...r.electedMs).toFixed(0)} ms | ${median(r.runningMs).toFixed(0)} / ${Math.max(...r.runningMs).toFixed(0)} ms |`,
    );
  return lines;
}
