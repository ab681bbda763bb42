/**
 * `execution.target: remote`: jobs go to a running session cluster through its REST API. Submitting
 * uploads the program's bundle (once per client: the cluster stores it by SHA-256) and runs it with
 * the JobGraph plan mode produced; the result is long-polled from `/jobs/:id/result`.
 */
import { liveMetricsOverRest } from './live-metrics.js';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { isIPv6 } from 'node:net';
import { Configuration, isJobKey, isOptionKey, isSecretKey } from '../config/index.js';
import { cachedFileContent, cachedFileEntry, type CachedFileEntry, type ResolvedCachedFile } from '../runtime/blob/cached-files.js';
import type { JobResult, VertexSummary } from '../runtime/jobmanager/job-master.js';
import type { ExecutionState } from '../runtime/rpc/messages.js';
import { RestApiError, RestClient } from '../rest/client.js';
import { WeirError } from '../errors.js';
import type { Bundle } from './bundler.js';
import type { ClusterClient, JobProgress, SubmissionRequest } from './cluster-client.js';

export interface RemoteClusterOptions {
  /** Base URL of the cluster's REST API. */
  url: string;
  token?: string | undefined;
  /** How long one result long-poll waits on the server, in ms. */
  resultPollMs?: number;
  /** High availability: finds the leading JobManager's REST URL again when the one followed is gone. */
  resolveLeader?: () => Promise<string>;
  /** How long a leader change may take before following the job fails (high-availability.leader-retrieval.timeout). */
  leaderTimeoutMs?: number;
}

/** The REST URL of the cluster a configuration points at: rest.address (else jobmanager.rpc.address) and rest.port. */
export function restUrl(config: Configuration): string {
  const host = config.get('rest.address') ?? config.get('jobmanager.rpc.address');
  return `http://${isIPv6(host) ? `[${host}]` : host}:${config.get('rest.port')}`;
}

const DEFAULTS = Configuration.fromEntries({});

/**
 * The part of a job configuration worth sending: job keys (isJobKey: the cluster's own keys such as
 * rest.port or taskmanager.* stay the cluster's) whose values differ from the defaults (so the
 * cluster's own settings are not overwritten by defaults), never secrets.
 */
export function submittedConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (isSecretKey(k) || !isJobKey(k)) continue;
    if (isOptionKey(k) && isDeepStrictEqual(DEFAULTS.get(k), v)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * An attached client gives up on its JobManager after this many failed polls in a row (the
 * JobManager was killed or shut down, or the network failed): WEIR_JOBMANAGER_LOST. With the backoff
 * below that is about 6 s after the JobManager went away (a JobManager that accepts connections but
 * never answers takes one request timeout per poll).
 */
export const LOST_AFTER_FAILED_POLLS = 5;
const BACKOFF_MS = [400, 800, 1600, 3000, 3000];

function jobManagerLost(url: string, jobId: string, polls: number, last: WeirError): WeirError {
  return new WeirError(
    'WEIR_JOBMANAGER_LOST',
    `Lost the connection to the JobManager at ${url} while following job ${jobId} (${polls} failed polls in a row; last: ${last.message}). ` +
      `The JobManager was stopped or killed, or the network failed: the job's outcome is unknown to this client (check 'weir list -a -m host:port' if the cluster is back)`,
    { jobId },
    { cause: last },
  );
}

/** Records of earlier executions larger than this (JSON characters) are uploaded as a blob. */
export const OBSERVED_INLINE_MAX = 256 * 1024;

export class RemoteClusterClient implements ClusterClient {
  readonly description: string;
  readonly webUrl: string;
  rest: RestClient;
  private readonly uploads = new Map<string, Promise<string>>();
  private readonly names = new Map<string, string>();
  private readonly resultPollMs: number;

  constructor(opts: RemoteClusterOptions) {
    this.rest = new RestClient({ url: opts.url, token: opts.token });
    this.webUrl = this.rest.url;
    this.description = `session cluster at ${this.rest.url}`;
    this.resultPollMs = opts.resultPollMs ?? 20_000;
    this.resolveLeader = opts.resolveLeader;
    this.leaderTimeoutMs = opts.leaderTimeoutMs ?? 60_000;
    this.token = opts.token;
  }

  private readonly resolveLeader: (() => Promise<string>) | undefined;
  private readonly leaderTimeoutMs: number;
  private readonly token: string | undefined;

  /** With HA: the leader changed (the one polled is gone or answers 503): follow the new one. */
  private async followLeader(): Promise<boolean> {
    if (!this.resolveLeader) return false;
    try {
      const url = await this.resolveLeader();
      if (url && url !== this.rest.url) {
        this.rest.close();
        this.rest = new RestClient({ url, token: this.token });
      }
      return true;
    } catch {
      return false;
    }
  }

  async submit(request: SubmissionRequest, bundle: Bundle): Promise<string> {
    const bundleId = await this.upload(bundle);
    const cachedFiles: CachedFileEntry[] = [];
    for (const f of request.cachedFiles ?? []) cachedFiles.push(await this.uploadCachedFile(f));
    // Large results of earlier executions go content-addressed, as blobs, not in the JSON body.
    const observedJson = request.observed?.length ? JSON.stringify(request.observed) : undefined;
    const observedBlob =
      observedJson !== undefined && observedJson.length > OBSERVED_INLINE_MAX
        ? (await this.rest.uploadBlob(Buffer.from(observedJson, 'utf8'))).id
        : undefined;
    const { jobid } = await this.rest.runBundle(bundleId, {
      ...(request.jobId !== undefined ? { jobId: request.jobId } : {}),
      jobGraph: request.jobGraph,
      graphDefaults: request.graphDefaults,
      programArgs: request.programArgs,
      cwd: request.cwd,
      executionIndex: request.executionIndex,
      config: submittedConfig(request.config),
      ...(request.structuralCheck ? { structuralCheck: true } : {}),
      ...(observedBlob !== undefined ? { observedBlob } : request.observed?.length ? { observed: request.observed } : {}),
      ...(cachedFiles.length ? { cachedFiles } : {}),
    });
    this.names.set(jobid, request.jobGraph.jobName);
    return jobid;
  }

  private upload(bundle: Bundle): Promise<string> {
    let p = this.uploads.get(bundle.id);
    if (!p) {
      p = readFile(bundle.path).then(async (bytes) => (await this.rest.uploadBundle(bytes, basename(bundle.entry))).id);
      // A failed upload is tried again by the next submission.
      p.catch(() => this.uploads.delete(bundle.id));
      this.uploads.set(bundle.id, p);
    }
    return p;
  }

  /** Uploads a distributed cache file (its content is read at every submission: it may have changed). */
  private async uploadCachedFile(f: ResolvedCachedFile): Promise<CachedFileEntry> {
    const { bytes, blobId } = await cachedFileContent(f);
    let uploaded: string;
    try {
      uploaded = (await this.rest.uploadBlob(bytes)).id;
    } catch (e) {
      if (e instanceof RestApiError && e.status === 413) {
        throw new WeirError(
          'WEIR_CACHED_FILE',
          `the cached file '${f.name}' (${f.path}, ${bytes.length} bytes) is larger than the cluster accepts: ${e.message} (rest.upload.max-size)`,
          {},
          { cause: e },
        );
      }
      throw e;
    }
    if (uploaded !== blobId)
      throw new WeirError('WEIR_INTERNAL', `the cluster stored the cached file '${f.name}' as ${uploaded}, not ${blobId}`);
    return cachedFileEntry(f, blobId);
  }

  /** Whether `e` says the JobManager followed is not (or no longer) the leader. */
  private leaderGone(e: unknown): boolean {
    return (
      (e instanceof WeirError && e.code === 'WEIR_JOBMANAGER_UNREACHABLE') || (e instanceof RestApiError && [503, 404].includes(e.status))
    );
  }

  /**
   * With HA, runs `f` again at the new leader while the leader changes, for at most
   * high-availability.leader-retrieval.timeout without an answer (200 ms apart).
   */
  private async atLeader<T>(f: () => Promise<T>): Promise<T> {
    const since = { at: Date.now() };
    for (;;) {
      const used = this.rest;
      try {
        return await f();
      } catch (e) {
        // Another request followed a new leader meanwhile (closing the client this one used): ask it.
        if (used !== this.rest) continue;
        if (!(await this.mayFollow(e, since))) throw e;
      }
    }
  }

  /**
   * Whether to try again at the (new) leader after `e`: yes while a leader change is under way
   * (`since.at`: the last answer, or the last time a new leader was found).
   */
  private async mayFollow(e: unknown, since: { at: number }): Promise<boolean> {
    if (!this.resolveLeader || !this.leaderGone(e) || Date.now() - since.at > this.leaderTimeoutMs) return false;
    const before = this.rest.url;
    // Leader retrieval may fail while the coordination service is busy electing: tried again next time.
    await this.followLeader();
    if (this.rest.url !== before) since.at = Date.now();
    await new Promise((r) => setTimeout(r, 200));
    return true;
  }

  progress(jobId: string): Promise<JobProgress> {
    return this.atLeader(() => this.progressOnce(jobId));
  }

  private async progressOnce(jobId: string): Promise<JobProgress> {
    // The exception history tells the causes of restarts the status alone hides; it is extra information.
    const [d, exceptions] = await Promise.all([this.rest.job(jobId), this.rest.jobExceptions(jobId).catch(() => undefined)]);
    const live =
      d.state === 'RUNNING'
        ? await liveMetricsOverRest(
            this.rest,
            jobId,
            d.vertices.map((v) => v.id),
          ).catch(() => undefined)
        : undefined;
    return {
      status: d.state,
      ...(live ? { live } : {}),
      ...(exceptions
        ? { failures: exceptions.exceptionHistory.entries.map((e) => ({ timestamp: e.timestamp, code: e.code, message: e.message })) }
        : {}),
      vertices: d.vertices.map((v): VertexSummary => ({
        id: v.id,
        name: v.name,
        parallelism: v.parallelism,
        status: v.status as ExecutionState,
        metrics: {
          numRecordsIn: v.metrics['read-records'],
          numRecordsOut: v.metrics['write-records'],
          numBytesIn: v.metrics['read-bytes'],
          numBytesOut: v.metrics['write-bytes'],
          backPressuredTimeMs: v.metrics['accumulated-backpressured-time'],
          busyTimeMs: v.metrics['accumulated-busy-time'],
          idleTimeMs: v.metrics['accumulated-idle-time'],
        },
      })),
    };
  }

  async cancel(jobId: string): Promise<void> {
    await this.atLeader(() => this.rest.cancelJob(jobId));
  }

  async stopWithSavepoint(jobId: string, dir: string | undefined, drain: boolean): Promise<string> {
    const triggerId = await this.rest.stopWithSavepoint(jobId, { ...(dir !== undefined ? { targetDirectory: dir } : {}), drain });
    return this.rest.awaitSavepoint(jobId, triggerId);
  }

  async waitForResult(jobId: string): Promise<JobResult> {
    let failures = 0;
    const answered = { at: Date.now() };
    for (;;) {
      const used = this.rest;
      try {
        const r = await used.jobResult(jobId, this.resultPollMs);
        failures = 0;
        answered.at = Date.now();
        if (r.status.id === 'COMPLETED' && r.result) return r.result;
      } catch (e) {
        if (used !== this.rest) continue; // another request followed a new leader meanwhile
        // With HA a lost leader (unreachable, or a 503 / 404 while the next leader recovers the job)
        // means following the new leader, for as long as the leader retrieval timeout allows since the
        // last answer or the last new leader (an election and a recovery take longer on a busy host).
        if (await this.mayFollow(e, answered)) continue;
        // The answer to a request about the job is final; a lost connection is tried again a few times.
        if (e instanceof RestApiError || !(e instanceof WeirError) || e.code !== 'WEIR_JOBMANAGER_UNREACHABLE') throw e;
        if (++failures >= LOST_AFTER_FAILED_POLLS) throw jobManagerLost(this.rest.url, jobId, failures, e);
        await new Promise((r) => setTimeout(r, BACKOFF_MS[failures - 1] ?? 3000));
      }
    }
  }

  logs(): string {
    return `the log files of the cluster's processes (weir cluster start --log-dir)`;
  }

  async close(): Promise<void> {
    this.rest.close();
  }
}
