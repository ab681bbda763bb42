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
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnWeir, tail } from '../../cluster/standalone/cluster-script.js';
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

  constructor(private readonly o: ProcessProviderOptions) {
    mkdirSync(o.workDir, { recursive: true });
    mkdirSync(o.logDir, { recursive: true });
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
      queueMicrotask(() => this.onTerminated?.(id, `could not be started: ${(e as Error).message}`));
      return id;
    }
    this.logs.push(log);
    this.pids.push(child.pid!);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.workers.delete(id);
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
    this.o.log.info(`started TaskManager ${id} (pid ${child.pid}, ${slots} slot(s)), log ${log}`);
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
