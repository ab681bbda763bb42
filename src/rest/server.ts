/**
 * The JobManager's REST API (DESIGN §6), on fastify: Flink's paths and field names where the
 * concept is the same, bundles instead of jars. Every body, parameter and response has a JSON
 * schema; errors are Flink's `{errors: [...]}` with a 4xx status for every mistake a caller can
 * make, so a bad request never reaches, let alone disturbs, a running job.
 *
 * Security (beyond Flink): the server binds to `rest.bind-address` (loopback by default); a
 * non-loopback bind refuses to start without `security.rest.token`, and with a token every request
 * must carry `Authorization: Bearer <token>`. Uploads are size-limited (`rest.upload.max-size`)
 * and stored content-addressed. Mutual TLS is not implemented yet.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { rename, writeFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Configuration, assertOptionsAvailable, isSecretKey } from '../config/index.js';
import { WeirError, type ErrorCode } from '../errors.js';
import type { JobGraph } from '../graph/job-graph.js';
import { planJson } from '../graph/plan.js';
import { blobPath } from '../runtime/blob/blob-server.js';
import type { JobManager } from '../runtime/jobmanager/job-manager.js';
import type { CheckpointConfigInfo, CheckpointingStatistics } from '../runtime/checkpoint/checkpoint-coordinator.js';
import { JobArchive, limitExceptions, type JobArchiveFile, type JobArchiveFiles } from './job-archive.js';
import type { JobMaster, JobResult } from '../runtime/jobmanager/job-master.js';
import type { Logger } from '../runtime/rpc/transport.js';
import { cwdSchema, jobGraphSchema, programArgsSchema, validate } from '../runtime/rpc/validate.js';
import { isGloballyTerminal } from '../runtime/jobmanager/job-status.js';
import {
  BUNDLE_ID_PATTERN,
  type BlobUploadResponse,
  bundleRunRequestSchema,
  errorBodySchema,
  schemas,
  type SavepointInfo,
  type SavepointTriggerRequest,
  type StopWithSavepointRequest,
  type TriggerResponse,
  type ApplicationStatus,
  type BundleList,
  type BundleRunRequest,
  type BundleRunResponse,
  type BundleUploadResponse,
  type ClusterOverview,
  type ConfigEntry,
  type DashboardConfig,
  type ErrorBody,
  type JobDetails,
  type JobExceptions,
  type JobIdsWithStatus,
  type JobOverviewEntry,
  type JobPlanInfo,
  type JobResultResponse,
  type JobStatusInfo,
  type MultipleJobsDetails,
  type TaskManagerInfo,
  type TaskManagersInfo,
} from './api.js';
import { BundleStore } from './bundle-store.js';
import { completedResult, jobDetails, jobExceptions, jobOverviewEntry, taskManagerInfo } from './views.js';

export interface RestServerOptions {
  jobManager: JobManager;
  config: Configuration;
  /** Where uploaded bundles are stored (created if missing). */
  blobDir: string;
  /** Called by `DELETE /cluster` after the reply is sent; by default the jobs are cancelled and the server closes. */
  onShutdown?: () => void | Promise<void>;
  /** Where warnings go (an unreadable job archive entry); default stderr. */
  log?: Logger;
  /** The application this JobManager runs (Application mode): served as `GET /application`. */
  application?: () => ApplicationStatus;
  /** Called when `/jobs/:id/result` answered with the job's final result (a dedicated cluster waits for it before it ends). */
  onResultServed?: (jobId: string) => void;
}

export interface RestServer {
  /** The base URL clients use, e.g. http://127.0.0.1:8081. */
  url: string;
  close(): Promise<void>;
}

/** Largest JSON body (a job submission); bundle uploads have their own limit. */
const JSON_BODY_LIMIT = 16 * 1024 * 1024;
/** Longest a `/jobs/:id/result` request waits for the job to end. */
export const MAX_RESULT_WAIT_MS = 60_000;
const UPLOAD_CONTENT_TYPES = ['application/octet-stream', 'application/javascript', 'text/javascript'];

/** An error with the HTTP status to answer with. */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code?: ErrorCode,
  ) {
    super(message);
  }
}

export function weirVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Whether an address only accepts connections from this machine. */
export function isLoopbackAddress(address: string): boolean {
  const h = address
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

function urlHost(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) return false;
  const a = createHash('sha256').update(m[1]!).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** Checks what the schema cannot: the parts of a JobGraph refer to each other consistently. */
function checkJobGraph(jg: JobGraph): void {
  const bad = (field: string, why: string): never => {
    throw new HttpError(400, `body/jobGraph/${field} ${why}`, 'WEIR_BAD_PIPELINE');
  };
  // The TaskManagers check every deployment against this schema: a graph they would refuse is
  // refused here, once, instead of failing each task it is deployed to.
  const wrong = validate(jobGraphSchema, jg, 'body/jobGraph');
  if (wrong) throw new HttpError(400, wrong, 'WEIR_BAD_PIPELINE');
  const vertexIds = new Set<string>();
  jg.vertices.forEach((v, i) => {
    if (vertexIds.has(v.id)) bad(`vertices/${i}/id`, `repeats vertex id '${v.id}'`);
    vertexIds.add(v.id);
    if (v.parallelism > v.maxParallelism)
      bad(`vertices/${i}/parallelism`, `(${v.parallelism}) exceeds maxParallelism (${v.maxParallelism})`);
  });
  const edgeIds = new Set<string>();
  jg.edges.forEach((e, i) => {
    if (edgeIds.has(e.id)) bad(`edges/${i}/id`, `repeats edge id '${e.id}'`);
    edgeIds.add(e.id);
    if (!vertexIds.has(e.sourceVertex)) bad(`edges/${i}/sourceVertex`, `names no vertex of the job ('${e.sourceVertex}')`);
    if (!vertexIds.has(e.targetVertex)) bad(`edges/${i}/targetVertex`, `names no vertex of the job ('${e.targetVertex}')`);
  });
  jg.vertices.forEach((v, i) =>
    v.inputs.forEach((id, j) => {
      if (!edgeIds.has(id)) bad(`vertices/${i}/inputs/${j}`, `names no edge of the job ('${id}')`);
    }),
  );
}

/** The job's configuration: the cluster's, overlaid with the submitted one (validated), without secrets. */
function jobConfiguration(cluster: Configuration, submitted: Record<string, unknown> | undefined): Record<string, unknown> {
  let overlay: Configuration;
  try {
    overlay = Configuration.fromEntries((submitted ?? {}) as Record<string, string>, 'the submitted job configuration');
    assertOptionsAvailable(overlay);
  } catch (e) {
    if (e instanceof WeirError) throw new HttpError(400, `body/config: ${e.message}`, e.code);
    throw e;
  }
  const out: Record<string, unknown> = cluster.merge(overlay).toJSON();
  for (const k of Object.keys(out)) if (isSecretKey(k)) delete out[k];
  return out;
}

/** How long an idle keep-alive connection stays open between requests. */
const KEEP_ALIVE_TIMEOUT_MS = 60_000;

export async function startRestServer(opts: RestServerOptions): Promise<RestServer> {
  const { config, jobManager } = opts;
  const dispatcher = jobManager.dispatcher;
  const bindAddress = config.get('rest.bind-address');
  const port = config.get('rest.port');
  const token = config.get('security.rest.token');
  const uploadLimit = config.get('rest.upload.max-size');
  const requestTimeout = config.get('rest.request.timeout');
  if (token !== undefined && token.trim() === '') {
    throw new WeirError(
      'WEIR_CONFIG_BAD_VALUE',
      "Configuration key 'security.rest.token' is empty: set a long random token, or remove the key",
    );
  }
  if (!isLoopbackAddress(bindAddress) && token === undefined) {
    throw new WeirError(
      'WEIR_CONFIG_BAD_VALUE',
      `The REST API would bind to '${bindAddress}', which is reachable from other machines, without authentication: ` +
        `set security.rest.token (clients then send 'Authorization: Bearer <token>'), or bind to 127.0.0.1 (rest.bind-address)`,
    );
  }

  const store = new BundleStore(opts.blobDir);
  await store.init();
  const version = weirVersion();
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: JSON_BODY_LIMIT,
    forceCloseConnections: true,
    // A client that announces a body and never sends it is answered 408 and cut off after
    // rest.request.timeout (fastify's default is no limit). Node checks the limit only every
    // connectionsCheckingInterval, hence an interval well below the timeout. Responses (long
    // polls) are not limited: only receiving the request is.
    serverFactory: (handler) =>
      createServer(
        {
          requestTimeout,
          headersTimeout: Math.min(requestTimeout, 60_000),
          keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
          connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(requestTimeout / 4))),
        },
        handler,
      ),
    // No coercion: a body field of the wrong type is a 400, not a guess. Query values are strings.
    ajv: { customOptions: { removeAdditional: false, allErrors: false, coerceTypes: false } },
  });

  // ---- errors and authentication ------------------------------------------------------------

  const sendError = (reply: FastifyReply, status: number, message: string, code?: ErrorCode): FastifyReply => {
    const body: ErrorBody = { errors: [message] };
    if (code) body.code = code;
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  };

  app.setErrorHandler((err: FastifyError | HttpError | WeirError | Error, req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err.statusCode, err.message, err.code);
    const fe = err as FastifyError;
    if (fe.validation) return sendError(reply, 400, `Bad request: ${fe.message}`);
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const upload = req.routeOptions.url === '/bundles/upload' || req.routeOptions.url === '/blobs/upload';
      const what = upload ? `rest.upload.max-size (${uploadLimit} bytes)` : `${JSON_BODY_LIMIT} bytes`;
      return sendError(reply, 413, `The request body is larger than ${what}`);
    }
    if (err instanceof WeirError) return sendError(reply, 400, err.message, err.code);
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
      return sendError(reply, fe.statusCode, err.message);
    return sendError(reply, 500, `Internal server error: ${err.message}`, 'WEIR_INTERNAL');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, `Not found: ${req.method} ${req.url.slice(0, 200)}`));

  if (token !== undefined) {
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (tokenMatches(req.headers.authorization, token)) return;
      reply.header('www-authenticate', 'Bearer realm="weir"');
      return sendError(reply, 401, "Unauthorized: this cluster's REST API needs 'Authorization: Bearer <security.rest.token>'");
    });
  }

  // Bundle uploads are raw bytes (a bundle is one ESM file); only their route accepts more than JSON_BODY_LIMIT.
  app.addContentTypeParser(UPLOAD_CONTENT_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // ---- long polls end when the server closes ------------------------------------------------

  const waiters = new Set<() => void>();
  const waitAtMost = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
    new Promise((resolve) => {
      const stop = (): void => {
        clearTimeout(timer);
        waiters.delete(stop);
        resolve(undefined);
      };
      const timer = setTimeout(stop, ms);
      waiters.add(stop);
      p.then((v) => {
        clearTimeout(timer);
        waiters.delete(stop);
        resolve(v);
      }, stop);
    });
  app.addHook('preClose', async () => {
    for (const w of [...waiters]) w();
  });

  // ---- helpers --------------------------------------------------------------------------------

  const job = (id: string): JobMaster => {
    if (!dispatcher.hasJob(id)) throw new HttpError(404, `Job ${id} not found`);
    return dispatcher.job(id);
  };
  // Jobs this JobManager does not run are looked up in the job archive (Flink's HistoryServer).
  const archiveDir = config.get('jobmanager.archive.dir');
  const archive = archiveDir
    ? new JobArchive(archiveDir, (m) => (opts.log ? opts.log.warn(m) : process.stderr.write(`WARN ${m}\n`)))
    : undefined;
  const archivedJobs = async (): Promise<JobOverviewEntry[]> =>
    archive ? (await archive.list()).filter((a) => !dispatcher.hasJob(a.jid)) : [];
  const archived = async <K extends JobArchiveFile>(id: string, file: K): Promise<JobArchiveFiles[K]> => {
    const doc = await archive?.read(id, file);
    if (doc === undefined) throw new HttpError(404, `Job ${id} not found`);
    return doc;
  };
  const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 128 } }, required: ['id'] };
  const bundleParams = { type: 'object', properties: { id: { type: 'string', pattern: BUNDLE_ID_PATTERN } }, required: ['id'] };
  const withErrors = (ok: Record<number, unknown>): Record<string, unknown> => ({ ...ok, '4xx': errorBodySchema, '5xx': errorBodySchema });
  let address = '';

  // ---- cluster --------------------------------------------------------------------------------

  app.get<{ Reply: ClusterOverview }>('/overview', { schema: { response: withErrors({ 200: schemas.overview }) } }, async () => {
    const jobs = dispatcher.list();
    const rm = jobManager.resourceManager;
    return {
      taskmanagers: rm.taskManagers().length,
      'slots-total': rm.totalSlots,
      'slots-available': rm.freeSlots,
      'jobs-running': jobs.filter((j) => !isGloballyTerminal(j.status)).length,
      'jobs-finished': jobs.filter((j) => j.status === 'FINISHED').length,
      'jobs-cancelled': jobs.filter((j) => j.status === 'CANCELED').length,
      'jobs-failed': jobs.filter((j) => j.status === 'FAILED').length,
      'flink-version': version,
      'flink-commit': process.env.WEIR_COMMIT ?? 'unknown',
    };
  });

  app.get<{ Reply: DashboardConfig }>('/config', { schema: { response: withErrors({ 200: schemas.dashboardConfig }) } }, async () => ({
    'refresh-interval': 3000,
    'timezone-name': Intl.DateTimeFormat().resolvedOptions().timeZone,
    'timezone-offset': -new Date().getTimezoneOffset() * 60_000,
    'flink-version': version,
    'flink-revision': process.env.WEIR_COMMIT ?? 'unknown',
    features: { 'web-submit': true, 'web-cancel': true, 'web-rescale': false, 'web-history': false },
  }));

  app.get<{ Reply: ConfigEntry[] }>('/jobmanager/config', { schema: { response: withErrors({ 200: schemas.configEntries }) } }, async () =>
    Object.entries(config.toStringMap({ redactSecrets: true })).map(([key, value]) => ({ key, value })),
  );

  app.get<{ Reply: TaskManagersInfo }>(
    '/taskmanagers',
    {
      schema: {
        response: withErrors({
          200: { type: 'object', properties: { taskmanagers: { type: 'array', items: schemas.taskManager } }, required: ['taskmanagers'] },
        }),
      },
    },
    async () => ({
      taskmanagers: jobManager.resourceManager.taskManagers().map((t) => taskManagerInfo(t.gw, t.freeSlots)),
    }),
  );

  app.get<{ Params: { id: string }; Reply: TaskManagerInfo }>(
    '/taskmanagers/:id',
    { schema: { params: idParams, response: withErrors({ 200: schemas.taskManager }) } },
    async (req) => {
      const t = jobManager.resourceManager.taskManagers().find((x) => x.gw.id === req.params.id);
      if (!t) throw new HttpError(404, `TaskManager ${req.params.id} not found`);
      return taskManagerInfo(t.gw, t.freeSlots);
    },
  );

  app.delete('/cluster', { schema: { response: withErrors({ 200: schemas.empty }) } }, async (_req, reply) => {
    reply.raw.once('finish', () =>
      setImmediate(() => {
        const shutdown =
          opts.onShutdown ??
          (async (): Promise<void> => {
            jobManager.shutdown();
            await server.close();
          });
        void Promise.resolve()
          .then(shutdown)
          .catch(() => undefined);
      }),
    );
    return {};
  });

  // ---- jobs -----------------------------------------------------------------------------------

  app.get<{ Reply: JobIdsWithStatus }>('/jobs', { schema: { response: withErrors({ 200: schemas.jobs }) } }, async () => ({
    jobs: [
      ...dispatcher.list().map((j) => ({ id: j.jobId, status: j.status })),
      ...(await archivedJobs()).map((a) => ({ id: a.jid, status: a.state })),
    ],
  }));

  app.get<{ Reply: MultipleJobsDetails }>(
    '/jobs/overview',
    { schema: { response: withErrors({ 200: schemas.jobsOverview }) } },
    async () => {
      const now = Date.now();
      return { jobs: [...dispatcher.list().map((j) => jobOverviewEntry(j, now)), ...(await archivedJobs())] };
    },
  );

  app.get<{ Reply: ApplicationStatus }>('/application', { schema: { response: withErrors({ 200: schemas.application }) } }, async () => {
    if (!opts.application) throw new HttpError(404, 'This cluster runs no application (it is not in Application mode)');
    return opts.application();
  });

  app.get<{ Params: { id: string }; Reply: JobDetails }>(
    '/jobs/:id',
    { schema: { params: idParams, response: withErrors({ 200: schemas.jobDetails }) } },
    async (req) => (dispatcher.hasJob(req.params.id) ? jobDetails(job(req.params.id)) : archived(req.params.id, 'job')),
  );

  app.get<{ Params: { id: string }; Reply: JobStatusInfo }>(
    '/jobs/:id/status',
    { schema: { params: idParams, response: withErrors({ 200: schemas.jobStatus }) } },
    async (req) => ({
      status: dispatcher.hasJob(req.params.id) ? job(req.params.id).status : (await archived(req.params.id, 'overview')).state,
    }),
  );

  app.get<{ Params: { id: string }; Reply: JobPlanInfo }>(
    '/jobs/:id/plan',
    { schema: { params: idParams, response: withErrors({ 200: schemas.jobPlan }) } },
    async (req) => {
      if (!dispatcher.hasJob(req.params.id)) return archived(req.params.id, 'plan');
      const jm = job(req.params.id);
      return { plan: planJson(jm.jobGraph, jm.jobId) };
    },
  );

  app.get<{ Params: { id: string }; Reply: CheckpointingStatistics }>(
    '/jobs/:id/checkpoints',
    { schema: { params: idParams, response: withErrors({ 200: schemas.jobCheckpoints }) } },
    async (req) => (dispatcher.hasJob(req.params.id) ? job(req.params.id).checkpointStats() : archived(req.params.id, 'checkpoints')),
  );

  app.get<{ Params: { id: string }; Reply: CheckpointConfigInfo }>(
    '/jobs/:id/checkpoints/config',
    { schema: { params: idParams, response: withErrors({ 200: schemas.jobCheckpointConfig }) } },
    async (req) => {
      const id = req.params.id;
      let c: CheckpointConfigInfo | undefined;
      if (dispatcher.hasJob(id)) c = job(id).checkpointConfig();
      else {
        await archived(id, 'overview');
        c = await archive?.read(id, 'checkpoint-config');
      }
      if (!c) throw new HttpError(404, `Checkpointing is not enabled for job ${id}`);
      return c;
    },
  );

  app.get<{ Params: { id: string }; Querystring: { maxExceptions?: string }; Reply: JobExceptions }>(
    '/jobs/:id/exceptions',
    {
      schema: {
        params: idParams,
        querystring: { type: 'object', properties: { maxExceptions: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' } } },
        response: withErrors({ 200: schemas.jobExceptions }),
      },
    },
    async (req) => {
      const max = Number(req.query.maxExceptions ?? 20);
      if (dispatcher.hasJob(req.params.id)) return jobExceptions(job(req.params.id), max);
      return limitExceptions(await archived(req.params.id, 'exceptions'), max);
    },
  );

  app.patch<{ Params: { id: string }; Querystring: { mode?: 'cancel' } }>(
    '/jobs/:id',
    {
      schema: {
        params: idParams,
        querystring: { type: 'object', properties: { mode: { type: 'string', enum: ['cancel'] } } },
        response: withErrors({ 202: schemas.empty }),
      },
    },
    async (req, reply) => {
      if (!dispatcher.hasJob(req.params.id)) {
        const a = await archived(req.params.id, 'overview');
        throw new HttpError(409, `Job ${a.jid} cannot be cancelled: it has already reached the terminal state ${a.state} (archived)`);
      }
      const jm = job(req.params.id);
      if (isGloballyTerminal(jm.status) && jm.status !== 'CANCELED') {
        throw new HttpError(409, `Job ${jm.jobId} cannot be cancelled: it has already reached the terminal state ${jm.status}`);
      }
      jm.cancel();
      return reply.code(202).send({});
    },
  );

  // ---- savepoints ------------------------------------------------------------------------------

  const trigger = (jm: JobMaster, f: () => string): TriggerResponse => {
    if (isGloballyTerminal(jm.status))
      throw new HttpError(409, `Job ${jm.jobId} has already reached the terminal state ${jm.status}`, 'WEIR_SAVEPOINT');
    return { 'request-id': f() };
  };

  app.post<{ Params: { id: string }; Body: SavepointTriggerRequest | undefined; Reply: TriggerResponse }>(
    '/jobs/:id/savepoints',
    { schema: { params: idParams, body: schemas.savepointTrigger, response: withErrors({ 202: schemas.trigger }) } },
    async (req, reply) => {
      const jm = job(req.params.id);
      const dir = req.body?.['target-directory'];
      const r = trigger(jm, () => (req.body?.['cancel-job'] === true ? jm.stopWithSavepoint(dir, false) : jm.triggerSavepoint(dir)));
      return reply.code(202).send(r);
    },
  );

  // Flink 1.19's manual checkpoint: the request id is the checkpoint's id; its status is in /jobs/:id/checkpoints.
  app.post<{
    Params: { id: string };
    Body: { checkpointType?: 'FULL' | 'INCREMENTAL' | 'CONFIGURED' } | undefined;
    Reply: TriggerResponse;
  }>(
    '/jobs/:id/checkpoints',
    {
      schema: {
        params: idParams,
        body: {
          type: ['object', 'null'],
          properties: { checkpointType: { type: 'string', enum: ['FULL', 'INCREMENTAL', 'CONFIGURED'] } },
          additionalProperties: false,
        },
        response: withErrors({ 202: schemas.trigger }),
      },
    },
    async (req, reply) => {
      const jm = job(req.params.id);
      if (isGloballyTerminal(jm.status))
        throw new HttpError(409, `Job ${jm.jobId} has already reached the terminal state ${jm.status}`, 'WEIR_CHECKPOINT');
      let id: number | undefined;
      try {
        id = jm.triggerCheckpoint(req.body?.checkpointType === 'FULL');
      } catch (e) {
        if (e instanceof WeirError) throw new HttpError(400, e.message, e.code);
        throw e;
      }
      if (id === undefined)
        throw new HttpError(
          503,
          `Job ${jm.jobId} cannot take a checkpoint right now (one is in progress, min-pause, or tasks are deploying): try again`,
          'WEIR_CHECKPOINT',
        );
      return reply.code(202).send({ 'request-id': String(id) });
    },
  );

  app.post<{ Params: { id: string }; Body: StopWithSavepointRequest | undefined; Reply: TriggerResponse }>(
    '/jobs/:id/stop',
    { schema: { params: idParams, body: schemas.stopWithSavepoint, response: withErrors({ 202: schemas.trigger }) } },
    async (req, reply) => {
      const jm = job(req.params.id);
      const r = trigger(jm, () => jm.stopWithSavepoint(req.body?.targetDirectory, req.body?.drain === true));
      return reply.code(202).send(r);
    },
  );

  app.get<{ Params: { id: string; triggerId: string }; Reply: SavepointInfo }>(
    '/jobs/:id/savepoints/:triggerId',
    {
      schema: {
        params: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: 128 }, triggerId: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
          required: ['id', 'triggerId'],
        },
        response: withErrors({ 200: schemas.savepointInfo }),
      },
    },
    async (req) => {
      const s = job(req.params.id).savepointStatus(req.params.triggerId);
      if (!s) throw new HttpError(404, `Savepoint operation ${req.params.triggerId} of job ${req.params.id} not found`);
      if (s.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' } };
      if (s.status === 'COMPLETED') return { status: { id: 'COMPLETED' }, operation: { location: s.location! } };
      return {
        status: { id: 'COMPLETED' },
        operation: { 'failure-cause': { class: 'WeirError', 'stack-trace': `WEIR_SAVEPOINT: ${s.failure ?? ''}` } },
      };
    },
  );

  const resultRoute = (defaultWait: number) => ({
    schema: {
      params: idParams,
      // ms to wait for the job to end, at most MAX_RESULT_WAIT_MS (longer waits are cut to it)
      querystring: { type: 'object', properties: { timeout: { type: 'string', pattern: '^[0-9]{1,9}$' } } },
      response: withErrors({ 200: schemas.jobResult }),
    },
    handler: async (req: FastifyRequest<{ Params: { id: string }; Querystring: { timeout?: string } }>): Promise<JobResultResponse> => {
      const jm = job(req.params.id);
      const wait = Math.min(MAX_RESULT_WAIT_MS, req.query.timeout === undefined ? defaultWait : Number(req.query.timeout));
      const r: JobResult | undefined = isGloballyTerminal(jm.status) ? await jm.result() : await waitAtMost(jm.result(), wait);
      if (r) opts.onResultServed?.(r.jobId);
      return r ? completedResult(r) : { status: { id: 'IN_PROGRESS' } };
    },
  });
  // Weir: waits up to ?timeout=ms for the job to end (the remote client's execute() long-polls it).
  app.get('/jobs/:id/result', resultRoute(0));
  // Flink's name for the same resource; answers at once unless a timeout is given.
  app.get('/jobs/:id/execution-result', resultRoute(0));

  // ---- bundles --------------------------------------------------------------------------------

  app.post<{ Querystring: { name?: string }; Reply: BundleUploadResponse }>(
    '/bundles/upload',
    {
      bodyLimit: uploadLimit,
      schema: {
        querystring: { type: 'object', properties: { name: { type: 'string', maxLength: 1000 } } },
        response: withErrors({ 200: schemas.bundleUpload }),
      },
    },
    async (req) => {
      if (!Buffer.isBuffer(req.body)) {
        throw new HttpError(415, `Upload the bundle's bytes as the request body with Content-Type: application/octet-stream`);
      }
      if (req.body.length === 0) throw new HttpError(400, 'The uploaded bundle is empty');
      const info = await store.put(req.body, req.query.name);
      return { id: info.id, filename: `${info.id}.mjs`, status: 'success' as const, size: info.size };
    },
  );

  // Distributed cache files: raw bytes, size-limited like bundles, stored as `<sha256>.blob`
  // where the BlobServer serves them to TaskManagers (never under a name the client chose).
  app.post<{ Reply: BlobUploadResponse }>(
    '/blobs/upload',
    { bodyLimit: uploadLimit, schema: { response: withErrors({ 200: schemas.blobUpload }) } },
    async (req) => {
      // An empty file is a file too (fastify parses no empty body).
      const body = Buffer.isBuffer(req.body) ? req.body : req.headers['content-length'] === '0' ? Buffer.alloc(0) : undefined;
      if (!body) throw new HttpError(415, `Upload the file's bytes as the request body with Content-Type: application/octet-stream`);
      const id = createHash('sha256').update(body).digest('hex');
      const path = blobPath(opts.blobDir, id, 'file');
      if (!existsSync(path)) {
        const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(tmp, body, { mode: 0o600 });
        await rename(tmp, path);
      }
      return { id, size: body.length };
    },
  );

  app.get<{ Reply: BundleList }>('/bundles', { schema: { response: withErrors({ 200: schemas.bundleList }) } }, async () => ({
    address,
    files: store.list(),
  }));

  app.post<{ Params: { id: string }; Body: BundleRunRequest; Reply: BundleRunResponse }>(
    '/bundles/:id/run',
    { schema: { params: bundleParams, body: bundleRunRequestSchema, response: withErrors({ 200: schemas.bundleRunResponse }) } },
    async (req) => {
      const bundle = store.get(req.params.id);
      if (!bundle) throw new HttpError(404, `Bundle ${req.params.id} not found: upload it first (POST /bundles/upload)`);
      const b = req.body;
      checkJobGraph(b.jobGraph);
      const wrong =
        validate(programArgsSchema, b.programArgs ?? [], 'body/programArgs') ?? validate(cwdSchema, b.cwd ?? process.cwd(), 'body/cwd');
      if (wrong) throw new HttpError(400, wrong);
      const jobConfig = jobConfiguration(config, b.config);
      if (b.jobId !== undefined && dispatcher.hasJob(b.jobId)) throw new HttpError(409, `A job with id ${b.jobId} already exists`);
      const cachedFiles = (b.cachedFiles ?? []).map((f, i) => {
        if (b.cachedFiles!.findIndex((g) => g.name === f.name) !== i)
          throw new HttpError(400, `body/cachedFiles/${i}/name repeats the name '${f.name}'`, 'WEIR_CACHED_FILE');
        const path = blobPath(opts.blobDir, f.blobId, 'file');
        if (!existsSync(path))
          throw new HttpError(
            404,
            `Cached file '${f.name}' (blob ${f.blobId}) not found: upload it first (POST /blobs/upload)`,
            'WEIR_CACHED_FILE',
          );
        return { ...f, path };
      });
      const jobid = dispatcher.submit({
        ...(b.jobId !== undefined ? { jobId: b.jobId } : {}),
        jobGraph: b.jobGraph,
        bundle: { id: bundle.info.id, path: bundle.path },
        programArgs: b.programArgs ?? [],
        cwd: b.cwd ?? process.cwd(),
        executionIndex: b.executionIndex ?? 0,
        graphDefaults: b.graphDefaults,
        config: jobConfig,
        ...(b.structuralCheck ? { structuralCheck: true } : {}),
        ...(cachedFiles.length ? { cachedFiles } : {}),
      });
      return { jobid };
    },
  );

  // ---- start ----------------------------------------------------------------------------------

  try {
    await app.listen({ host: bindAddress, port });
  } catch (e) {
    await app.close().catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EADDRINUSE' ? 'the port is in use (set rest.port, or 0 for any free port)' : err.message;
    throw new WeirError('WEIR_CONFIG_BAD_VALUE', `Cannot start the REST API on ${urlHost(bindAddress)}:${port}: ${why}`, {}, { cause: e });
  }
  const bound = app.server.address();
  const boundPort = typeof bound === 'object' && bound ? bound.port : port;
  const wildcard = bindAddress === '0.0.0.0' || bindAddress === '::';
  const host = wildcard ? (config.get('rest.address') ?? config.get('jobmanager.rpc.address')) : bindAddress;
  address = `http://${urlHost(host)}:${boundPort}`;
  let closing: Promise<void> | undefined;
  const server: RestServer = {
    url: address,
    close: () => (closing ??= app.close()),
  };
  return server;
}
