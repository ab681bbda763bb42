/**
 * The client's side of the process provider's dedicated clusters (targets `process-per-job` and
 * `process-application`): it creates the cluster directory `<process.working-dir>/<clusterId>/`
 * (layout in cluster/dedicated-cluster.ts), writes the cluster's configuration (the client's, with
 * a fresh cluster secret and free ports), ships the bundle, starts the JobManager as a detached
 * `weir jobmanager` process, and waits until it has written its endpoint. From then on the cluster
 * is reached through its REST API; it removes itself when it has ended.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Configuration } from '../../config/index.js';
import { WeirError } from '../../errors.js';
import type { Bundle } from '../../client/bundler.js';
import type { ClusterClient, JobProgress, SubmissionRequest } from '../../client/cluster-client.js';
import { ENDPOINT_FILE, JOB_FILE, JOBMANAGER_LOG, type ClusterEndpoint, type PerJobFile } from './dedicated-files.js';
import { RemoteClusterClient } from '../../client/remote-cluster-client.js';
import { alive, spawnWeir, tail } from './weir-process.js';
import type { JobResult } from '../../runtime/jobmanager/job-master.js';
import type { ApplicationStatus } from '../../rest/api.js';
import { RestApiError } from '../../rest/client.js';

export interface DeployedCluster {
  clusterId: string;
  dir: string;
  /** The JobManager's process id. */
  pid: number;
  restUrl: string;
  /** Resolves when the JobManager process has exited (with its exit code). */
  exited: Promise<number | null>;
}

export interface DeployOptions {
  config: Configuration;
  bundle: Bundle;
  /** Per-Job: the job. */
  job?: { jobId: string; request: SubmissionRequest };
  /** Application: main()'s arguments and directory. */
  application?: { args: string[]; cwd: string };
  /** How long the JobManager may take to come up (default 60 s). */
  startupTimeoutMs?: number;
  weirCommand?: string[];
}

/** Keys the client's configuration does not pass on to a dedicated cluster (the cluster sets its own). */
const NOT_PASSED = new Set(['execution.target', 'jobmanager.rpc.port', 'rest.port', 'rest.address', 'process.cluster-id', 'env.log.dir']);

/** The archive directory of a job's logs, when jobmanager.archive.dir is set. */
export function archivedLogs(config: Configuration, jobId: string): string | undefined {
  const archive = config.get('jobmanager.archive.dir');
  return archive ? join(archive.replace(/^file:\/\//, ''), jobId, 'logs') : undefined;
}

/** Creates a dedicated cluster's directory, starts its JobManager and waits for its REST endpoint. */
export async function deployCluster(o: DeployOptions): Promise<DeployedCluster> {
  const { config } = o;
  const mode = o.job ? 'per-job' : 'application';
  const workDir = config.get('process.working-dir') ?? join(tmpdir(), 'weir-process');
  const clusterId = config.get('process.cluster-id') ?? `weir-${mode}-${randomBytes(5).toString('hex')}`;
  const dir = join(workDir, clusterId);
  if (existsSync(dir))
    throw new WeirError(
      'WEIR_CLUSTER_DEPLOYMENT',
      `a cluster with id '${clusterId}' exists already (${dir}): pick another process.cluster-id, or remove the directory if that cluster is gone`,
    );
  mkdirSync(join(dir, 'conf'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'log'), { recursive: true });
  const bundleFile = `${o.bundle.id}.mjs`;
  copyFileSync(o.bundle.path, join(dir, bundleFile));

  const lines = ['# Written by weir run for the dedicated cluster ' + clusterId];
  for (const p of config.toDynamicProperties()) {
    const eq = p.indexOf('=');
    const key = p.slice(0, eq);
    if (!NOT_PASSED.has(key)) lines.push(`${key}: ${JSON.stringify(p.slice(eq + 1))}`);
  }
  lines.push('jobmanager.rpc.port: 0', 'rest.port: 0', `process.cluster-id: ${JSON.stringify(clusterId)}`);
  // With HA a dedicated cluster keeps its own HA data (leader, plans, results), as Flink's YARN and
  // Kubernetes deployments use the application id, unless high-availability.cluster-id is given.
  if (config.get('high-availability.type') !== 'none' && !config.has('high-availability.cluster-id'))
    lines.push(`high-availability.cluster-id: ${JSON.stringify(clusterId)}`);
  // The cluster's processes log to <dir>/log: the REST API lists and serves those files.
  lines.push(`env.log.dir: ${JSON.stringify(join(dir, 'log'))}`);
  if (!config.get('security.cluster.secret')) lines.push(`security.cluster.secret: "${randomBytes(32).toString('hex')}"`);
  writeFileSync(join(dir, 'conf', 'config.yaml'), lines.join('\n') + '\n', { mode: 0o600 });

  const args = ['jobmanager', '--conf-dir', join(dir, 'conf'), '--provider', 'process', '--cluster-dir', dir];
  if (o.job) {
    const file: PerJobFile = { jobId: o.job.jobId, bundle: bundleFile, request: o.job.request };
    writeFileSync(join(dir, JOB_FILE), JSON.stringify(file), { mode: 0o600 });
    args.push('--job', join(dir, JOB_FILE));
  } else {
    args.push('--application', join(dir, bundleFile), '--program-cwd', o.application!.cwd, '--', ...o.application!.args);
  }
  const log = join(dir, 'log', JOBMANAGER_LOG);
  const child = spawnWeir(args, { log, detached: true, ...(o.weirCommand ? { weirCommand: o.weirCommand } : {}) });
  child.unref();
  const pid = child.pid!;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  const timeout = o.startupTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeout;
  const endpointFile = join(dir, ENDPOINT_FILE);
  for (;;) {
    if (existsSync(endpointFile)) {
      const e = JSON.parse(readFileSync(endpointFile, 'utf8')) as ClusterEndpoint;
      return { clusterId, dir, pid, restUrl: e.restUrl, exited };
    }
    if (!alive(pid) || Date.now() > deadline) {
      const end = tail(log, 30).trim();
      if (alive(pid)) process.kill(pid, 'SIGTERM');
      throw new WeirError(
        'WEIR_CLUSTER_DEPLOYMENT',
        `the JobManager of ${mode} cluster ${clusterId} ${alive(pid) ? `did not come up within ${timeout} ms` : 'exited while starting'}${end ? `; the end of its log:\n${end}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * `execution.target: process-per-job`: every job main() submits gets a cluster of its own, started
 * when it is submitted and gone when it has ended.
 */
export class PerJobClusterClient implements ClusterClient {
  readonly description = 'per-job cluster (process provider)';
  private readonly clusters = new Map<string, { cluster: DeployedCluster; rest: RemoteClusterClient }>();
  /** Jobs whose result this client fetched: their clusters are ending. */
  private readonly ended = new Set<string>();

  constructor(private readonly config: Configuration) {}

  get webUrl(): string | undefined {
    return [...this.clusters.values()].at(-1)?.rest.webUrl;
  }

  async submit(request: SubmissionRequest, bundle: Bundle): Promise<string> {
    // A job id as the Dispatcher makes them (newJobId), without loading the Dispatcher into the client.
    const jobId = request.jobId ?? randomBytes(16).toString('hex');
    const cluster = await deployCluster({ config: this.config, bundle, job: { jobId, request: { ...request, jobId } } });
    const rest = new RemoteClusterClient({ url: cluster.restUrl, token: this.config.get('security.rest.token') });
    this.clusters.set(jobId, { cluster, rest });
    return jobId;
  }

  private of(jobId: string): RemoteClusterClient {
    const c = this.clusters.get(jobId);
    if (!c) throw new WeirError('WEIR_BAD_PIPELINE', `no job with id ${jobId} was submitted by this client`, { jobId });
    return c.rest;
  }

  /** The cluster of a job (tests check its processes and directories). */
  clusterOf(jobId: string): DeployedCluster | undefined {
    return this.clusters.get(jobId)?.cluster;
  }

  progress(jobId: string): Promise<JobProgress> {
    return this.of(jobId).progress(jobId);
  }

  cancel(jobId: string): Promise<void> {
    return this.of(jobId).cancel(jobId);
  }

  stopWithSavepoint(jobId: string, dir: string | undefined, drain: boolean): Promise<string> {
    return this.of(jobId).stopWithSavepoint(jobId, dir, drain);
  }

  async waitForResult(jobId: string): Promise<JobResult> {
    const r = await this.of(jobId).waitForResult(jobId);
    this.ended.add(jobId);
    return r;
  }

  logs(jobId: string): string {
    return archivedLogs(this.config, jobId) ?? 'removed with the per-job cluster (set jobmanager.archive.dir to keep them)';
  }

  async close(): Promise<void> {
    for (const c of this.clusters.values()) await c.rest.close();
    // A cluster whose job ended tears itself down once its result was fetched: weir run returns after
    // that, so nothing of the cluster (processes, directory) outlives the command.
    for (const [jobId, c] of this.clusters) if (this.ended.has(jobId)) await awaitTeardown(c.cluster);
  }
}

export interface ApplicationRunListener {
  onDeployed?(cluster: DeployedCluster): void;
  onJob?(jobId: string, cluster: RemoteClusterClient): void;
  onJobResult?(result: JobResult): void;
}

export interface ApplicationRun {
  cluster: DeployedCluster;
  status: ApplicationStatus | undefined;
  results: JobResult[];
}

/**
 * `execution.target: process-application`: ships the bundle to a new Application cluster, whose
 * JobManager runs main(). Attached, follows the application until it has ended: each job as it
 * appears, its result, and the application's final status. Detached, returns once the cluster is up.
 */
/** How long an attached client waits for an ended dedicated cluster to remove itself. */
const TEARDOWN_WAIT_MS = 30_000;

/** Waits (bounded) until the cluster's JobManager process has exited, which it does after cleaning up. */
async function awaitTeardown(cluster: DeployedCluster): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), TEARDOWN_WAIT_MS)));
  const how = await Promise.race([cluster.exited.then(() => 'exited' as const), timedOut]);
  clearTimeout(timer);
  if (how === 'timeout' && alive(cluster.pid))
    process.stderr.write(
      `Warning: the cluster ${cluster.clusterId} (pid ${cluster.pid}) did not end within ${TEARDOWN_WAIT_MS} ms of its job; see ${cluster.dir}\n`,
    );
}

export async function runApplicationCluster(
  o: { config: Configuration; bundle: Bundle; args: string[]; cwd: string; detached: boolean },
  listener: ApplicationRunListener = {},
): Promise<ApplicationRun> {
  const cluster = await deployCluster({ config: o.config, bundle: o.bundle, application: { args: o.args, cwd: o.cwd } });
  listener.onDeployed?.(cluster);
  if (o.detached) return { cluster, status: undefined, results: [] };
  const rest = new RemoteClusterClient({ url: cluster.restUrl, token: o.config.get('security.rest.token'), resultPollMs: 5_000 });
  const results = new Map<string, Promise<JobResult>>();
  let exited = false;
  void cluster.exited.then(() => (exited = true));
  try {
    for (;;) {
      let status: ApplicationStatus;
      try {
        status = await rest.rest.application();
      } catch (e) {
        if (exited || !(e instanceof RestApiError)) {
          const log = join(cluster.dir, 'log', JOBMANAGER_LOG);
          throw new WeirError(
            'WEIR_CLUSTER_DEPLOYMENT',
            `the application cluster ${cluster.clusterId} ended before it reported its end (${(e as Error).message})${exited ? '' : `; see ${log}`}`,
          );
        }
        throw e;
      }
      for (const id of status.jobs) {
        if (results.has(id)) continue;
        listener.onJob?.(id, rest);
        const r = rest.waitForResult(id);
        r.then((x) => listener.onJobResult?.(x)).catch(() => undefined);
        results.set(id, r);
      }
      if (status.status !== 'RUNNING') {
        const all = await Promise.all(results.values());
        await awaitTeardown(cluster);
        return { cluster, status, results: all };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await rest.close();
  }
}
