/**
 * A typed client of the JobManager's REST API (server.ts), on fetch. The CLI (`weir list`,
 * `weir cancel`) and the remote cluster client (`execution.target: remote`) use it. Failures are
 * WeirErrors: the server's code when it sent one, and a message that says what to check.
 */
import { ERROR_CODES, WeirError, type ErrorCode } from '../errors.js';
import type {
  BlobUploadResponse,
  BundleList,
  ApplicationStatus,
  BundleRunRequest,
  BundleRunResponse,
  BundleUploadResponse,
  ClusterOverview,
  ConfigEntry,
  DashboardConfig,
  ErrorBody,
  JobDetails,
  JobExceptions,
  JobIdsWithStatus,
  JobPlanInfo,
  JobResultResponse,
  JobStatusInfo,
  MultipleJobsDetails,
  SavepointInfo,
  SavepointTriggerRequest,
  StopWithSavepointRequest,
  TriggerResponse,
  TaskManagerInfo,
  TaskManagersInfo,
} from './api.js';

export interface RestClientOptions {
  /** Base URL of the REST API, e.g. http://127.0.0.1:8081. */
  url: string;
  /** security.rest.token of the cluster, when it requires one. */
  token?: string | undefined;
  /** Timeout of one request, in ms (long polls add their wait). Default 30 s. */
  timeoutMs?: number;
}

/** A request the server answered with an error status. */
export class RestApiError extends WeirError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  bytes?: Uint8Array;
  timeoutMs?: number;
}

export class RestClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly closed = new AbortController();

  constructor(opts: RestClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  // ---- cluster ------------------------------------------------------------------------------

  overview(): Promise<ClusterOverview> {
    return this.request('GET', '/overview');
  }
  dashboardConfig(): Promise<DashboardConfig> {
    return this.request('GET', '/config');
  }
  jobManagerConfig(): Promise<ConfigEntry[]> {
    return this.request('GET', '/jobmanager/config');
  }
  taskManagers(): Promise<TaskManagersInfo> {
    return this.request('GET', '/taskmanagers');
  }
  taskManager(id: string): Promise<TaskManagerInfo> {
    return this.request('GET', `/taskmanagers/${encodeURIComponent(id)}`);
  }
  async shutdownCluster(): Promise<void> {
    await this.request('DELETE', '/cluster');
  }

  // ---- jobs ---------------------------------------------------------------------------------

  jobs(): Promise<JobIdsWithStatus> {
    return this.request('GET', '/jobs');
  }
  /** The application of an Application cluster (`GET /application`, Weir). */
  application(): Promise<ApplicationStatus> {
    return this.request('GET', '/application');
  }
  jobsOverview(): Promise<MultipleJobsDetails> {
    return this.request('GET', '/jobs/overview');
  }
  job(jobId: string): Promise<JobDetails> {
    return this.request('GET', `/jobs/${encodeURIComponent(jobId)}`);
  }
  jobStatus(jobId: string): Promise<JobStatusInfo> {
    return this.request('GET', `/jobs/${encodeURIComponent(jobId)}/status`);
  }
  jobPlan(jobId: string): Promise<JobPlanInfo> {
    return this.request('GET', `/jobs/${encodeURIComponent(jobId)}/plan`);
  }
  jobExceptions(jobId: string): Promise<JobExceptions> {
    return this.request('GET', `/jobs/${encodeURIComponent(jobId)}/exceptions`);
  }
  async cancelJob(jobId: string): Promise<void> {
    await this.request('PATCH', `/jobs/${encodeURIComponent(jobId)}`, { query: { mode: 'cancel' } });
  }
  /** POST /jobs/:id/savepoints: returns the trigger id. */
  async triggerSavepoint(jobId: string, request: SavepointTriggerRequest = {}): Promise<string> {
    const r = await this.request<TriggerResponse>('POST', `/jobs/${encodeURIComponent(jobId)}/savepoints`, { json: request });
    return r['request-id'];
  }
  /** POST /jobs/:id/stop: returns the trigger id of the savepoint. */
  async stopWithSavepoint(jobId: string, request: StopWithSavepointRequest = {}): Promise<string> {
    const r = await this.request<TriggerResponse>('POST', `/jobs/${encodeURIComponent(jobId)}/stop`, { json: request });
    return r['request-id'];
  }
  savepointStatus(jobId: string, triggerId: string): Promise<SavepointInfo> {
    return this.request('GET', `/jobs/${encodeURIComponent(jobId)}/savepoints/${encodeURIComponent(triggerId)}`);
  }
  /**
   * Polls a savepoint operation until it completed (every `pollMs`, at most `timeoutMs`): resolves
   * with its location, rejects with WEIR_SAVEPOINT when it failed or took too long.
   */
  async awaitSavepoint(jobId: string, triggerId: string, timeoutMs = 600_000, pollMs = 100): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.savepointStatus(jobId, triggerId);
      if (s.status.id === 'COMPLETED') {
        const op = s.operation;
        if (op?.location !== undefined) return op.location;
        const cause = op?.['failure-cause']?.['stack-trace'].replace(/^WEIR_SAVEPOINT: /, '') ?? 'no location';
        throw new WeirError('WEIR_SAVEPOINT', `the savepoint of job ${jobId} failed: ${cause}`, { jobId });
      }
      if (Date.now() > deadline)
        throw new WeirError('WEIR_SAVEPOINT', `the savepoint of job ${jobId} did not complete within ${timeoutMs} ms`, { jobId });
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  /**
   * POST /jobs/:id/checkpoints (as Flink 1.19): triggers a checkpoint now; returns the request id
   * (Weir: the checkpoint's id). A cluster that cannot trigger one at this moment (one in progress,
   * min-pause, tasks deploying) answers 503; that is tried again for up to `retryMs`.
   */
  async triggerCheckpoint(
    jobId: string,
    checkpointType: 'FULL' | 'INCREMENTAL' | 'CONFIGURED' = 'CONFIGURED',
    retryMs = 30_000,
  ): Promise<string> {
    const deadline = Date.now() + retryMs;
    for (;;) {
      try {
        const r = await this.request<TriggerResponse>('POST', `/jobs/${encodeURIComponent(jobId)}/checkpoints`, {
          json: { checkpointType },
        });
        return r['request-id'];
      } catch (e) {
        if (!(e instanceof RestApiError) || e.status !== 503 || e.code !== 'WEIR_CHECKPOINT' || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  /** Polls the job's checkpoint history until the checkpoint `id` completed (resolves) or failed (WEIR_CHECKPOINT). */
  async awaitCheckpoint(jobId: string, id: string, timeoutMs = 600_000, pollMs = 100): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stats = await this.request<{ history: { id: number; status: string; failure_message?: string }[] }>(
        'GET',
        `/jobs/${encodeURIComponent(jobId)}/checkpoints`,
      );
      const h = stats.history.find((c) => String(c.id) === id);
      if (h?.status === 'COMPLETED') return id;
      if (h?.status === 'FAILED')
        throw new WeirError('WEIR_CHECKPOINT', `checkpoint ${id} of job ${jobId} failed: ${h.failure_message ?? 'unknown reason'}`, {
          jobId,
        });
      if (Date.now() > deadline)
        throw new WeirError('WEIR_CHECKPOINT', `checkpoint ${id} of job ${jobId} did not complete within ${timeoutMs} ms`, { jobId });
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  /** Waits up to `waitMs` for the job to end; `status.id` says whether it did. */
  jobResult(jobId: string, waitMs = 0): Promise<JobResultResponse> {
    return this.request('GET', `/jobs/${encodeURIComponent(jobId)}/result`, {
      query: { timeout: waitMs },
      timeoutMs: this.timeoutMs + waitMs,
    });
  }

  // ---- bundles ------------------------------------------------------------------------------

  uploadBundle(bytes: Uint8Array, name?: string): Promise<BundleUploadResponse> {
    return this.request('POST', '/bundles/upload', { bytes, query: { name } });
  }
  /** Uploads a distributed cache file's bytes (stored by SHA-256; runBundle's cachedFiles name it). */
  uploadBlob(bytes: Uint8Array): Promise<BlobUploadResponse> {
    return this.request('POST', '/blobs/upload', { bytes });
  }
  bundles(): Promise<BundleList> {
    return this.request('GET', '/bundles');
  }
  runBundle(bundleId: string, run: BundleRunRequest): Promise<BundleRunResponse> {
    return this.request('POST', `/bundles/${encodeURIComponent(bundleId)}/run`, { json: run });
  }

  /** Aborts the requests in flight (long polls included). */
  close(): void {
    this.closed.abort();
  }

  // ---- transport ----------------------------------------------------------------------------

  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const url = new URL(this.url + path);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let body: string | Uint8Array | undefined;
    if (o.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.json);
    } else if (o.bytes !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      body = o.bytes;
    }
    const timeoutMs = o.timeoutMs ?? this.timeoutMs;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.any([this.closed.signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (e) {
      throw this.transportError(e, method, path, timeoutMs);
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (res.ok) return parsed as T;
    throw this.httpError(res.status, parsed, text, method, path);
  }

  private transportError(e: unknown, method: string, path: string, timeoutMs: number): WeirError {
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (this.closed.signal.aborted) return new WeirError('WEIR_INTERNAL', `${method} ${path} was aborted: the client was closed`);
    if (err.name === 'TimeoutError') {
      return new WeirError(
        'WEIR_JOBMANAGER_UNREACHABLE',
        `The JobManager at ${this.url} did not answer ${method} ${path} within ${timeoutMs} ms: check rest.address and rest.port (or -m host:port)`,
      );
    }
    const why = err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
    return new WeirError(
      'WEIR_JOBMANAGER_UNREACHABLE',
      `Cannot reach the JobManager's REST API at ${this.url} (${why}): is the cluster running? Check rest.address and rest.port, or -m host:port`,
      {},
      { cause: e },
    );
  }

  private httpError(status: number, parsed: unknown, text: string, method: string, path: string): RestApiError {
    const body = parsed as Partial<ErrorBody> | undefined;
    const detail = Array.isArray(body?.errors) && body.errors.length ? body.errors.join('; ') : text.slice(0, 200) || `HTTP ${status}`;
    const sent = body?.code !== undefined && Object.hasOwn(ERROR_CODES, body.code) ? body.code : undefined;
    if (status === 401 || status === 403) {
      return new RestApiError(
        status,
        'WEIR_CONFIG_BAD_VALUE',
        `The JobManager at ${this.url} refused ${method} ${path}: ${detail}. Set security.rest.token to the cluster's token`,
      );
    }
    const code: ErrorCode = sent ?? (status >= 500 ? 'WEIR_INTERNAL' : 'WEIR_CLI_USAGE');
    return new RestApiError(status, code, `${detail} (${method} ${this.url}${path}: HTTP ${status})`);
  }
}
