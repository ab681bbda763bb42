/**
 * The process resource provider: TaskManagers are `weir taskmanager` child processes of the
 * JobManager, on this machine. Each gets a resource id (`<clusterId>-taskmanager-<n>`, its
 * taskmanager.resource-id), its own working directory `<workDir>/<resourceId>/` (its current
 * directory and TMPDIR, so its BlobCache and temporary files live there) and its own log file
 * `<logDir>/<resourceId>.log`. The working directory is removed when the process has exited; the
 * log stays (a dedicated cluster copies it to the job's archive before removing its directory).
 *
 * TaskManagers run in the JobManager's process group and are given the JobManager's configuration
 * directory and -D properties. A TaskManager whose JobManager was killed exits after
 * taskmanager.registration.timeout.
 *
 * `prestart` starts TaskManagers as soon as the provider exists, before any slot request: a
 * dedicated cluster knows what its job needs, and a TaskManager process takes a few hundred
 * milliseconds to come up, so it comes up while the JobManager submits the job (or replays main()).
 * The ResourceManager's first requests are served with these processes (startTaskManager returns
 * the id of one that has not registered yet); one that registers first simply brings free slots,
 * and one nobody needs is stopped when idle (resourcemanager.taskmanager-timeout).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnWeir, tail } from './weir-process.js';
import type { ResourceProvider } from '../../runtime/jobmanager/resource-provider.js';
import type { Logger } from '../../runtime/rpc/transport.js';

export interface ProcessProviderOptions {
  /** host:port the TaskManagers register at. */
  jobManagerAddress: string;
  /** The configuration directory the TaskManagers read (the JobManager's). */
  confDir: string;
  /** -D properties given to every TaskManager (the JobManager's own). */
  dynamic: readonly string[];
  clusterId: string;
  /** Parent of the TaskManagers' working directories. */
  workDir: string;
  /** Where their logs go. */
  logDir: string;
  log: Logger;
  weirCommand?: string[];
  /** Time a stopped TaskManager gets to exit before SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /** Remove `workDir` itself on close (a session cluster's; a dedicated cluster removes its whole directory). */
  removeWorkDirOnClose?: boolean;
  /** TaskManagers to start at once, each with `slots` slots. */
  prestart?: { taskManagers: number; slots: number };
  /** Whether a TaskManager has registered at the ResourceManager (a pre-started one that has is not handed out again). */
  registered?: (resourceId: string) => boolean;
}

interface Worker {
  id: string;
  child: ChildProcess;
  dir: string;
  log: string;
  exited: Promise<void>;
}

export class ProcessResourceProvider implements ResourceProvider {
  readonly name = 'process';
  readonly active = true;
  onTerminated: ((resourceId: string, reason: string) => void) | undefined;
  private readonly workers = new Map<string, Worker>();
  private readonly logs: string[] = [];
  private readonly pids: number[] = [];
  private counter = 0;
  private closed = false;
  /** Pre-started TaskManagers not asked for yet: resource id → slots. */
  private readonly spares = new Map<string, number>();

  constructor(private readonly o: ProcessProviderOptions) {
    mkdirSync(o.workDir, { recursive: true });
    mkdirSync(o.logDir, { recursive: true });
    const pre = o.prestart;
    for (let i = 0; pre && i < pre.taskManagers; i++) {
      const id = this.spawn(pre.slots, 'ahead of the slot requests');
      if (this.workers.has(id)) this.spares.set(id, pre.slots);
    }
  }

  /** Every log file a TaskManager of this provider wrote, in start order. */
  get logFiles(): readonly string[] {
    return this.logs;
  }

  /** The pids of every TaskManager process this provider started. */
  get startedPids(): readonly number[] {
    return this.pids;
  }

  startTaskManager(slots: number): string {
    if (this.closed) throw new Error('the process provider is closed');
    for (const [id, n] of this.spares) {
      // One that registered already offers its slots as a TaskManager of the cluster.
      if (this.o.registered?.(id)) this.spares.delete(id);
      else if (n === slots) {
        this.spares.delete(id);
        this.o.log.info(`TaskManager ${id} (${slots} slot(s)) was started ahead: it serves the request`);
        return id;
      }
    }
    return this.spawn(slots);
  }

  private spawn(slots: number, why?: string): string {
    const id = `${this.o.clusterId}-taskmanager-${++this.counter}`;
    const dir = join(this.o.workDir, id);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const log = join(this.o.logDir, `${id}.log`);
    const args = [
      'taskmanager',
      '--conf-dir',
      this.o.confDir,
      '--jobmanager',
      this.o.jobManagerAddress,
      ...this.o.dynamic.flatMap((d) => ['-D', d]),
      '-D',
      `taskmanager.resource-id=${id}`,
      '-D',
      `taskmanager.numberOfTaskSlots=${slots}`,
      '-D',
      `env.log.dir=${resolve(this.o.logDir)}`,
    ];
    let child: ChildProcess;
    try {
      child = spawnWeir(args, {
        log,
        detached: false,
        cwd: dir,
        env: { TMPDIR: tmp, TMP: tmp, TEMP: tmp },
        ...(this.o.weirCommand ? { weirCommand: this.o.weirCommand } : {}),
      });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      if (why) this.o.log.error(`could not start a TaskManager ${why}: ${(e as Error).message}`);
      else queueMicrotask(() => this.onTerminated?.(id, `could not be started: ${(e as Error).message}`));
      return id;
    }
    this.logs.push(log);
    this.pids.push(child.pid!);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.workers.delete(id);
        this.spares.delete(id);
        rmSync(dir, { recursive: true, force: true });
        const reason = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        if (!this.closed) {
          this.o.log.info(`TaskManager process ${child.pid} (${id}) ${reason}`);
          const end = tail(log, 5).trim();
          this.onTerminated?.(id, end ? `${reason}; the end of ${log}:\n${end}` : reason);
        }
        resolve();
      });
    });
    this.workers.set(id, { id, child, dir, log, exited });
    this.o.log.info(`started TaskManager ${id} (pid ${child.pid}, ${slots} slot(s))${why ? ` ${why}` : ''}, log ${log}`);
    return id;
  }

  owns(resourceId: string): boolean {
    return this.workers.has(resourceId);
  }

  async stopTaskManager(resourceId: string, reason: string): Promise<void> {
    const w = this.workers.get(resourceId);
    if (!w) return;
    this.o.log.info(`stopping TaskManager ${resourceId} (pid ${w.child.pid}): ${reason}`);
    w.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((r) => {
      timer = setTimeout(() => {
        w.child.kill('SIGKILL');
        r();
      }, this.o.stopTimeoutMs ?? 10_000);
    });
    await Promise.race([w.exited, killed]);
    clearTimeout(timer);
    await w.exited;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.workers.keys()].map((id) => this.stopTaskManager(id, 'the cluster is shutting down')));
    if (this.o.removeWorkDirOnClose) rmSync(this.o.workDir, { recursive: true, force: true });
  }
}
