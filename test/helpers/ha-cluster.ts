/**
 * A standalone cluster of real `weir jobmanager` / `weir taskmanager` processes sharing one HA
 * configuration (etcd or ZooKeeper), for the failover tests: start, kill -9, SIGSTOP/SIGCONT and
 * restart processes, find the leader through the HA services, run `weir` commands against the
 * cluster, and check a FileSink's committed output for exactly-once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Configuration } from '../../src/config/index.js';
import { createHaServices, type HighAvailabilityServices, type LeaderInfo } from '../../src/ha/index.js';
import { after, before } from 'node:test';
import { freePort } from './ports.js';
import { startZooKeeper, type ZooKeeperServer } from './services/zookeeper.js';
import { waitFor } from './wait.js';

export const ROOT = resolve(import.meta.dirname, '../..');
const WEIR = join(ROOT, 'bin', 'weir.mjs');

export interface Proc {
  readonly name: string;
  child: ChildProcess;
  output: string;
  exited: boolean;
  readonly exit: Promise<number | null>;
}

function spawnWeir(name: string, args: string[]): Proc {
  const child = spawn(process.execPath, [WEIR, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = {
    name,
    child,
    output: '',
    exited: false,
    exit: new Promise((r) => child.once('exit', (code) => ((p.exited = true), r(code)))),
  };
  child.stdout!.on('data', (b: Buffer) => (p.output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (p.output += b.toString()));
  return p;
}

export class HaCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'weir-ha-cluster-'));
  readonly jobManagers: Proc[] = [];
  readonly taskManagers: Proc[] = [];
  private readonly others: Proc[] = [];
  private readonly jmArgs = new Map<Proc, string[]>();
  private services: HighAvailabilityServices | undefined;

  constructor(
    /** -D entries of the HA configuration (type, endpoints / quorum), and any overrides. */
    private readonly haConf: Record<string, string>,
    readonly clusterId = `c${Math.random().toString(36).slice(2, 8)}`,
  ) {
    mkdirSync(join(this.dir, 'storage'));
  }

  /** -D arguments every process of the cluster gets. */
  get dArgs(): string[] {
    const conf: Record<string, string> = {
      'high-availability.storageDir': join(this.dir, 'storage'),
      'high-availability.cluster-id': this.clusterId,
      'execution.checkpointing.dir': join(this.dir, 'checkpoints'),
      'taskmanager.numberOfTaskSlots': '2',
      'heartbeat.interval': '500',
      'heartbeat.timeout': '3000',
      // Given entries win (a storageDir or checkpoint directory on S3, say).
      ...this.haConf,
    };
    return Object.entries(conf).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  }

  config(): Configuration {
    let c = new Configuration();
    for (let i = 1; i < this.dArgs.length; i += 2) c = c.setDynamic(this.dArgs[i]!);
    return c;
  }

  private current: LeaderInfo | undefined;
  private stopRetrieval: (() => void) | undefined;

  /** The cluster's HA services, with one leader-retrieval subscription that `leader()` reads. */
  async ha(): Promise<HighAvailabilityServices> {
    if (!this.services) {
      this.services = await createHaServices(this.config());
      this.stopRetrieval = await this.services.retrieveLeader((l) => (this.current = l));
    }
    return this.services;
  }

  /** Starts a `weir jobmanager`; `extra` are further arguments (`--application <program> -- <args>`). */
  async startJobManager(extra: string[] = []): Promise<Proc> {
    const args = [
      'jobmanager',
      ...this.dArgs,
      '-D',
      `jobmanager.rpc.port=${await freePort()}`,
      '-D',
      `rest.port=${await freePort()}`,
      ...extra,
    ];
    const p = spawnWeir(`jobmanager-${this.jobManagers.length + 1}`, args);
    this.jobManagers.push(p);
    this.jmArgs.set(p, args);
    return p;
  }

  /** Starts a killed JobManager again (same ports): it joins as a standby. */
  restartJobManager(old: Proc): Proc {
    const p = spawnWeir(old.name, this.jmArgs.get(old)!);
    this.jobManagers[this.jobManagers.indexOf(old)] = p;
    this.jmArgs.set(p, this.jmArgs.get(old)!);
    return p;
  }

  startTaskManager(): Proc {
    const p = spawnWeir(`taskmanager-${this.taskManagers.length + 1}`, ['taskmanager', ...this.dArgs]);
    this.taskManagers.push(p);
    return p;
  }

  restartTaskManager(old: Proc): Proc {
    const p = spawnWeir(old.name, ['taskmanager', ...this.dArgs]);
    this.taskManagers[this.taskManagers.indexOf(old)] = p;
    return p;
  }

  /** Runs `weir <args>` with the cluster's configuration (leader retrieval finds the JobManager). */
  weir(name: string, args: string[]): Proc {
    const [cmd, ...rest] = args;
    const p = spawnWeir(name, [cmd!, ...this.dArgs, ...rest]);
    this.others.push(p);
    return p;
  }

  /** What the leader-retrieval subscription reported last (after `ha()`). */
  get retrievedLeader(): LeaderInfo | undefined {
    return this.current;
  }

  /** The current leader once it has recovered its jobs (its REST answers as the leader). */
  async leader(timeoutMs = 20_000, not?: number): Promise<LeaderInfo & { proc: Proc }> {
    await this.ha();
    return waitFor(`a leading JobManager${not ? ` other than pid ${not}` : ''}`, timeoutMs, async () => {
      const l = this.current;
      if (!l || l.pid === not) return undefined;
      const proc = this.jobManagers.find((p) => p.child.pid === l.pid && !p.exited);
      if (!proc) return undefined;
      const r = await fetch(`${l.restUrl}/overview`, { redirect: 'manual' }).catch(() => undefined);
      return r?.status === 200 ? { ...l, proc } : undefined;
    });
  }

  /** Two JobManagers (resolves with the first leader, once it answers) and then two TaskManagers. */
  async startTwoByTwo(): Promise<LeaderInfo & { proc: Proc }> {
    await this.startJobManager();
    await this.startJobManager();
    const first = await this.leader().catch((e: Error) => assert.fail(`${e.message}\n${this.logs()}`));
    this.startTaskManager();
    this.startTaskManager();
    return first;
  }

  async stop(): Promise<void> {
    for (const p of [...this.others, ...this.taskManagers, ...this.jobManagers]) {
      if (!p.exited) {
        try {
          process.kill(p.child.pid!, 'SIGCONT');
          p.child.kill('SIGKILL');
        } catch {
          /* gone */
        }
        await p.exit;
      }
    }
    this.stopRetrieval?.();
    await this.services?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last lines of every process's output (for failure messages). */
  logs(lines = 15): string {
    return [...this.jobManagers, ...this.taskManagers, ...this.others]
      .map((p) => `--- ${p.name} (pid ${p.child.pid}${p.exited ? ', exited' : ''})\n${p.output.split('\n').slice(-lines).join('\n')}`)
      .join('\n');
  }
}

interface Row {
  k: number;
  v: number;
  n: number;
}

/** Checks that the committed part files of `out` hold every update of records 0..count-1 of a keyed sum exactly once. */
export function assertCommittedExactlyOnce(out: string, count: number, keys: number): void {
  const files = readdirSync(out);
  assert.deepEqual(
    files.filter((f) => !/^part-\d+-\d+-\d+\.jsonl$/.test(f)),
    [],
    'only committed part files are left',
  );
  const rows: Row[] = [];
  for (const f of files) for (const l of readFileSync(join(out, f), 'utf8').split('\n')) if (l) rows.push(JSON.parse(l) as Row);
  const byKey: Row[][] = Array.from({ length: keys }, () => []);
  for (const r of rows) byKey[r.k]!.push(r);
  for (let k = 0; k < keys; k++) {
    const xs = byKey[k]!.sort((a, b) => a.n - b.n);
    const expected = Math.floor(count / keys) + (k < count % keys ? 1 : 0);
    for (let i = 0; i < xs.length; i++)
      if (xs[i]!.n !== i + 1) assert.fail(`key ${k}: update ${i + 1} is missing or repeated (${xs[i]!.n})`);
    assert.equal(xs.length, expected, `key ${k}: every update exactly once`);
    let total = 0;
    for (let i = k; i < count; i += keys) total += i;
    assert.equal(xs.at(-1)?.v, total, `key ${k}: final sum`);
  }
  assert.equal(rows.length, count);
}

/**
 * A ZooKeeper server and an HaCluster using it, started before the calling file's tests and
 * stopped after them; `cluster` is set once they started.
 */
export function zooKeeperHaCluster(): { readonly cluster: HaCluster } {
  let zk: ZooKeeperServer | undefined;
  let cluster: HaCluster | undefined;
  before(async () => {
    zk = await startZooKeeper();
    cluster = new HaCluster({ 'high-availability.type': 'zookeeper', 'high-availability.zookeeper.quorum': zk.quorum });
  });
  after(async () => {
    await cluster?.stop();
    await zk?.stop();
  });
  return {
    get cluster(): HaCluster {
      if (!cluster) throw new Error('the HA cluster is started in before()');
      return cluster;
    },
  };
}
