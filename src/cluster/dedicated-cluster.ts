/**
 * The JobManager side of a dedicated cluster: a Per-Job cluster (its one job is given as a file
 * written by the client, `--job`) or an Application cluster (`--application`, main() runs here).
 *
 * Lifecycle: the job (or the application) runs; when it has ended (Per-Job: the job is terminal;
 * Application: main() returned and every job ended, unless execution.shutdown-on-application-finish
 * is false), the terminal-job listeners finish (archiving), an attached client gets the results
 * (bounded wait), the JobManager shuts down (which stops every TaskManager the provider started),
 * each process's log is copied to `<jobmanager.archive.dir>/<jobId>/logs/` for every job of the
 * cluster, and the cluster directory (configuration, bundle, blobs, TaskManager working
 * directories, logs) is removed. SIGTERM/SIGINT take the same path after cancelling the jobs.
 *
 * Layout of a cluster directory (`<process.working-dir>/<clusterId>/`, made by the client):
 *
 *   conf/config.yaml     the cluster's configuration (mode 0600: it holds the cluster secret)
 *   <sha256>.mjs         the program's bundle
 *   job.json             Per-Job: the job the client's main() produced
 *   jobmanager.json      written by the JobManager once it listens: pid, REST URL, RPC address
 *   blobs/               the BlobServer
 *   log/                 jobmanager.log and one <resourceId>.log per TaskManager
 *   <resourceId>/        each TaskManager's working directory (its cwd and TMPDIR)
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Configuration } from '../config/index.js';
import { WeirError } from '../errors.js';
import type { RestServerOptions } from '../rest/server.js';
import { isGloballyTerminal } from '../runtime/jobmanager/job-status.js';
import type { Logger } from '../runtime/rpc/transport.js';
import type { Application } from './application.js';
import type { JobManagerProcess } from './standalone/jobmanager-main.js';

export { ENDPOINT_FILE, JOB_FILE, JOBMANAGER_LOG, type ClusterEndpoint, type PerJobFile } from '../providers/process/dedicated-files.js';
import { ENDPOINT_FILE, JOBMANAGER_LOG, type ClusterEndpoint, type PerJobFile } from '../providers/process/dedicated-files.js';

export interface DedicatedClusterOptions {
  config: Configuration;
  log: Logger;
  clusterId: string;
  /** The cluster directory, removed at the end; absent for a standalone Application cluster (`weir jobmanager --application`). */
  clusterDir: string | undefined;
  /** Per-Job: the job file. */
  jobFile?: string;
  /** Application: the program or bundle, its arguments and directory. */
  application?: { program: string; args: string[]; cwd: string };
  /** Wait (bounded) for an attached client to collect the results before ending (default: with a cluster directory and execution.attached). */
  waitForClient?: boolean;
}

/** Longest the REST API waits for the first job to run. */
const REST_DELAY_MS = 10_000;
/** How long an ended cluster waits for its attached client to collect the results. */
const COLLECT_TIMEOUT_MS = 30_000;

export class DedicatedCluster {
  private readonly jobIds: string[] = [];
  private application: Application | undefined;
  private perJobId: string | undefined;
  private readonly served = new Set<string>();
  private applicationServed = false;
  private wake: (() => void) | undefined;
  private stopRequested: ((reason: string) => void) | undefined;
  private readonly stop = new Promise<string>((r) => (this.stopRequested = r));
  private startedOnce = false;
  private markStarted!: () => void;
  /** The job was submitted or main() started (with HA, once this JobManager leads). */
  private readonly started = new Promise<void>((r) => (this.markStarted = r));

  constructor(private readonly o: DedicatedClusterOptions) {
    if (!o.jobFile === !o.application) throw new WeirError('WEIR_CLI_USAGE', 'a dedicated cluster runs either one job or one application');
  }

  /** REST hooks: the application's status, and which results the client has collected. */
  get restHooks(): Pick<RestServerOptions, 'application' | 'onResultServed'> {
    return {
      ...(this.o.application
        ? {
            application: () => {
              const s = this.application?.status() ?? { id: this.o.clusterId, status: 'RUNNING' as const, jobs: [] };
              if (s.status !== 'RUNNING') this.applicationServed = true;
              this.wake?.();
              return s;
            },
          }
        : {}),
      onResultServed: (jobId) => {
        this.served.add(jobId);
        this.wake?.();
      },
    };
  }

  /**
   * Slots the cluster's jobs are expected to need, so that its TaskManagers can be started with the
   * JobManager: Per-Job, what the job asks for (its largest vertex parallelism, as the JobMaster
   * requests); Application, parallelism.default (main() has not run yet).
   */
  expectedSlots(): number {
    if (this.o.application) return Math.max(1, Number(this.o.config.get('parallelism.default') ?? 1));
    try {
      const f = JSON.parse(readFileSync(this.o.jobFile!, 'utf8')) as Partial<PerJobFile>;
      return Math.max(1, ...(f.request?.jobGraph.vertices ?? []).map((v) => v.parallelism));
    } catch {
      return 0; // beforeRest reports a bad job file
    }
  }

  /**
   * Runs once the RPC server listens, before the REST API loads: submits the per-job cluster's job
   * or starts the application's main(), then waits (at most REST_DELAY_MS) until a job is RUNNING or
   * over. Loading the REST server takes the JobManager's event loop for a while; done after the
   * TaskManagers registered, it does not delay the job.
   */
  async beforeRest(jm: Pick<JobManagerProcess, 'client' | 'jobManager'>): Promise<void> {
    await this.start(jm);
    let appDone = false;
    void this.application?.done.then(() => (appDone = true));
    const deadline = Date.now() + REST_DELAY_MS;
    const started = (): boolean =>
      appDone || jm.jobManager.dispatcher.list().some((j) => j.status === 'RUNNING' || isGloballyTerminal(j.status));
    while (!started() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  /**
   * Submits the per-job cluster's job or starts the application's main(). With high availability
   * this runs once this JobManager leads (and again in the next leader after a failover): job ids
   * are fixed (the job file's, or derived from the cluster id and the execute() index), and the
   * leader's client re-attaches to recovered jobs and skips those already in the job result store.
   */
  async start(jm: Pick<JobManagerProcess, 'client' | 'jobManager'>): Promise<void> {
    if (this.startedOnce) return;
    this.startedOnce = true;
    if (this.o.jobFile) {
      const dir = this.o.clusterDir ?? '.';
      const f = JSON.parse(readFileSync(this.o.jobFile, 'utf8')) as PerJobFile;
      if (typeof f.jobId !== 'string' || typeof f.bundle !== 'string' || typeof f.request !== 'object' || f.request === null)
        throw new WeirError('WEIR_CLUSTER_DEPLOYMENT', `${this.o.jobFile} is not a job file written by weir`);
      const bundlePath = join(dir, basename(f.bundle));
      this.perJobId = await jm.client.submit(
        { ...f.request, jobId: f.jobId },
        { id: basename(f.bundle, '.mjs'), path: bundlePath, entry: bundlePath, size: 0 },
      );
      this.jobIds.push(this.perJobId);
      this.o.log.info(`per-job cluster ${this.o.clusterId}: submitted job '${f.request.jobGraph.jobName}' (${this.perJobId})`);
    } else {
      const a = this.o.application!;
      const { Application } = await import('./application.js');
      this.application = new Application({
        program: a.program,
        args: a.args,
        cwd: a.cwd,
        clusterId: this.o.clusterId,
        config: this.o.config,
        cluster: jm.client,
        log: this.o.log,
      });
    }
    this.markStarted();
  }

  /** Asks the cluster to end (signal): its jobs are cancelled, then it cleans up as when they end. */
  requestStop(reason: string): void {
    this.stopRequested?.(reason);
  }

  /** Runs the cluster to its end, cleans up; resolves with the exit code for the process. */
  async run(jm: JobManagerProcess): Promise<number> {
    const { log, config } = this.o;
    if (this.o.clusterDir && jm.restUrl) {
      // The client finds the cluster once its work started: with HA, once this JobManager leads
      // (before, its REST API answers 503).
      await Promise.race([this.started, this.stop, jm.closed]);
      const endpoint: ClusterEndpoint = { pid: process.pid, restUrl: jm.restUrl, rpcAddress: jm.rpcAddress };
      const tmp = join(this.o.clusterDir, `${ENDPOINT_FILE}.tmp`);
      writeFileSync(tmp, JSON.stringify(endpoint));
      renameSync(tmp, join(this.o.clusterDir, ENDPOINT_FILE));
    }
    const dispatcher = jm.jobManager.dispatcher;
    const ended = this.started.then(async () => {
      if (this.perJobId !== undefined) return jm.client.waitForResult(this.perJobId).then((r) => `job ${r.jobId} is ${r.status}`);
      return this.application!.done.then(async (s) => {
        this.jobIds.push(...s.jobs);
        if (!config.get('execution.shutdown-on-application-finish')) {
          log.info('the application ended; the cluster stays up (execution.shutdown-on-application-finish: false)');
          await new Promise<never>(() => undefined);
        }
        return `the application is ${s.status}`;
      });
    });
    const why = await Promise.race([ended, this.stop, jm.closed.then(() => 'the JobManager was shut down')]);
    log.info(`${this.o.clusterDir ? 'dedicated' : 'application'} cluster ${this.o.clusterId} ends: ${why}`);
    for (const id of this.application?.status().jobs ?? []) if (!this.jobIds.includes(id)) this.jobIds.push(id);
    dispatcher.cancelAll();
    await dispatcher.settled();
    if (this.o.waitForClient ?? (this.o.clusterDir !== undefined && config.get('execution.attached'))) await this.collected();
    const tmLogs = [...((jm.provider as { logFiles?: readonly string[] } | undefined)?.logFiles ?? [])];
    await jm.close(why);
    this.archiveLogs(tmLogs);
    if (this.o.clusterDir) {
      rmSync(this.o.clusterDir, { recursive: true, force: true });
      log.info(`removed the cluster directory ${this.o.clusterDir}`);
    }
    const failed = this.application ? this.application.status().status !== 'FINISHED' : false;
    return failed ? 1 : 0;
  }

  /** Waits (bounded) until the attached client has fetched every job's result and the application's status. */
  private async collected(): Promise<void> {
    const deadline = Date.now() + COLLECT_TIMEOUT_MS;
    const done = (): boolean => this.jobIds.every((id) => this.served.has(id)) && (!this.o.application || this.applicationServed);
    while (!done() && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(0, deadline - Date.now()));
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    if (!done()) this.o.log.warn(`the client did not collect the results within ${COLLECT_TIMEOUT_MS} ms: ending anyway`);
  }

  /** Copies the JobManager's and TaskManagers' logs to `<jobmanager.archive.dir>/<jobId>/logs/`. */
  private archiveLogs(tmLogs: string[]): void {
    const archive = this.o.config.get('jobmanager.archive.dir');
    if (!archive || !this.o.clusterDir) return;
    const logs = [join(this.o.clusterDir, 'log', JOBMANAGER_LOG), ...tmLogs].filter((f) => existsSync(f));
    for (const jobId of this.jobIds) {
      const dir = join(archive.replace(/^file:\/\//, ''), jobId, 'logs');
      try {
        mkdirSync(dir, { recursive: true });
        for (const f of logs) copyFileSync(f, join(dir, basename(f)));
      } catch (e) {
        this.o.log.error(`cannot copy the logs of job ${jobId} to ${dir}: ${(e as Error).message}`);
      }
    }
    if (logs.length && this.jobIds.length) this.o.log.info(`copied ${logs.length} log file(s) to ${archive}/<jobId>/logs/`);
  }
}
