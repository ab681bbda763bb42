/**
 * The JobManager's REST API (DESIGN §6), on fastify: Flink's paths and field names where the
 * concept is the same, bundles instead of jars. This file assembles the server (binding,
 * authentication, time limits, errors); the resources are in `routes/`, one file each, over the
 * TypeBox schemas of `api.ts`. Errors are Flink's `{errors: [...]}` with a 4xx status for every
 * mistake a caller can make, so a bad request never reaches, let alone disturbs, a running job.
 *
 * Security (beyond Flink): the server binds to `rest.bind-address` (loopback by default); a
 * non-loopback bind refuses to start without `security.rest.token`, and with a token every request
 * must carry `Authorization: Bearer <token>`. Uploads are size-limited (`rest.upload.max-size`)
 * and stored content-addressed. Mutual TLS is not implemented yet.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Configuration } from '../config/index.js';
import { WeirError, type ErrorCode } from '../errors.js';
import type { JobManager } from '../runtime/jobmanager/job-manager.js';
import type { Logger } from '../runtime/rpc/transport.js';
import type { ApplicationStatus, ErrorBody } from './api.js';
import { BundleStore } from './bundle-store.js';
import { HttpError } from './http-error.js';
import { JobArchive } from './job-archive.js';
import { JobViews } from './job-view.js';
import { bundleRoutes, UPLOAD_ROUTES } from './routes/bundles.js';
import { checkpointRoutes } from './routes/checkpoints.js';
import { clusterRoutes } from './routes/cluster.js';
import type { ProgramRunner, RestApp, RouteContext } from './routes/context.js';
import { jobRoutes } from './routes/jobs.js';
import { metricsRoutes } from './routes/metrics.js';
import { taskManagerRoutes } from './routes/taskmanagers.js';
import { applicationRoutes } from './routes/applications.js';
import { jobExtraRoutes } from './routes/job-extras.js';
import { processInfoRoutes } from './routes/process-info.js';
import { unavailableRoutes } from './routes/unavailable.js';
import { vertexRoutes } from './routes/vertices.js';
import { isLoopbackAddress, tokenMatches, urlHost } from './security.js';
import { programRunRoutes } from './routes/program-run.js';
import { isWebAssetPath, webAssetRoutes } from './web-assets.js';

export { isLoopbackAddress } from './security.js';
export { MAX_RESULT_WAIT_MS } from './routes/jobs.js';

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
  /**
   * High availability: while this JobManager is a standby, every request is redirected (307, the
   * method and body kept) to the leader's REST API, or answered 503 while there is no leader.
   */
  leadership?: { leading(): boolean; leaderUrl(): string | undefined };
  /** Runs an uploaded program's main() here (`POST /bundles/:id/run-program`, the dashboard's Submit page). */
  programRunner?: ProgramRunner;
}

export interface RestServer {
  /** The base URL clients use, e.g. http://127.0.0.1:8081. */
  url: string;
  close(): Promise<void>;
}

/** Largest JSON body (a job submission); bundle uploads have their own limit. */
const JSON_BODY_LIMIT = 16 * 1024 * 1024;
const UPLOAD_CONTENT_TYPES = ['application/octet-stream', 'application/javascript', 'text/javascript'];
/** How long an idle keep-alive connection stays open between requests. */
const KEEP_ALIVE_TIMEOUT_MS = 60_000;

export function weirVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The settings that keep the API safe to expose: refused before anything listens. */
function checkSecurity(config: Configuration): void {
  const bindAddress = config.get('rest.bind-address');
  const token = config.get('security.rest.token');
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
}

/** Long polls that end early (undefined) once the server closes. */
function longPolls(): { waitAtMost: RouteContext['waitAtMost']; endAll(): void } {
  const waiters = new Set<() => void>();
  return {
    waitAtMost: <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
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
      }),
    endAll: () => {
      for (const w of [...waiters]) w();
    },
  };
}

function createApp(requestTimeout: number): RestApp {
  return Fastify({
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
  }).withTypeProvider<TypeBoxTypeProvider>();
}

const sendError = (reply: FastifyReply, status: number, message: string, code?: ErrorCode): FastifyReply => {
  const body: ErrorBody = { errors: [message] };
  if (code) body.code = code;
  return reply.code(status).type('application/json; charset=utf-8').send(body);
};

/** Every failure as `{errors: [message], code?}`: the caller's mistakes 4xx, the server's 500. */
function handleErrors(app: RestApp, uploadLimit: number): void {
  app.setErrorHandler((err: FastifyError | HttpError | WeirError | Error, req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err.statusCode, err.message, err.code);
    const fe = err as FastifyError;
    // fastify's message names the field: "body/jobGraph/vertices/0/parallelism must be >= 1".
    if (fe.validation) return sendError(reply, 400, `Bad request: ${fe.message}`);
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const upload = UPLOAD_ROUTES.includes(req.routeOptions.url ?? '');
      const what = upload ? `rest.upload.max-size (${uploadLimit} bytes)` : `${JSON_BODY_LIMIT} bytes`;
      return sendError(reply, 413, `The request body is larger than ${what}`);
    }
    if (err instanceof WeirError) return sendError(reply, 400, err.message, err.code);
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
      return sendError(reply, fe.statusCode, err.message);
    return sendError(reply, 500, `Internal server error: ${err.message}`, 'WEIR_INTERNAL');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, `Not found: ${req.method} ${req.url.slice(0, 200)}`));
}

export async function startRestServer(opts: RestServerOptions): Promise<RestServer> {
  const { config, jobManager } = opts;
  checkSecurity(config);
  const bindAddress = config.get('rest.bind-address');
  const port = config.get('rest.port');
  const token = config.get('security.rest.token');
  const uploadLimit = config.get('rest.upload.max-size');

  const store = new BundleStore(opts.blobDir);
  await store.init();
  const app = createApp(config.get('rest.request.timeout'));
  handleErrors(app, uploadLimit);
  if (token !== undefined) {
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (tokenMatches(req.headers.authorization, token)) return;
      // The dashboard's page and scripts hold no data: they load without the token, then ask for it.
      if ((req.method === 'GET' || req.method === 'HEAD') && isWebAssetPath(req.url)) return;
      reply.header('www-authenticate', 'Bearer realm="weir"');
      return sendError(reply, 401, "Unauthorized: this cluster's REST API needs 'Authorization: Bearer <security.rest.token>'");
    });
  }
  const leadership = opts.leadership;
  if (leadership) {
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (leadership.leading()) return;
      const leader = leadership.leaderUrl();
      if (!leader)
        return sendError(reply, 503, 'No JobManager leads this cluster at the moment (leader election in progress): retry shortly');
      return reply.redirect(`${leader.replace(/\/$/, '')}${req.url}`, 307);
    });
  }
  // Bundle uploads are raw bytes (a bundle is one ESM file); only their routes accept more than JSON_BODY_LIMIT.
  app.addContentTypeParser(UPLOAD_CONTENT_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const polls = longPolls();
  app.addHook('preClose', async () => polls.endAll());

  // Jobs this JobManager does not run are looked up in the job archive (Flink's HistoryServer).
  const archiveDir = config.get('jobmanager.archive.dir');
  const archive = archiveDir
    ? new JobArchive(archiveDir, (m) => (opts.log ? opts.log.warn(m) : process.stderr.write(`WARN ${m}\n`)))
    : undefined;
  let address = '';
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= app.close());
  const ctx: RouteContext = {
    config,
    jobManager,
    jobs: new JobViews(jobManager.dispatcher, archive),
    store,
    blobDir: opts.blobDir,
    uploadLimit,
    version: weirVersion(),
    address: () => address,
    waitAtMost: polls.waitAtMost,
    application: opts.application,
    onResultServed: opts.onResultServed,
    programRunner: opts.programRunner,
    shutdown: async () => {
      if (opts.onShutdown) return opts.onShutdown();
      jobManager.shutdown();
      await close();
    },
  };
  for (const routes of [clusterRoutes, taskManagerRoutes, jobRoutes, checkpointRoutes, bundleRoutes]) routes(app, ctx);
  for (const routes of [vertexRoutes, jobExtraRoutes, processInfoRoutes, applicationRoutes, unavailableRoutes]) routes(app, ctx);
  metricsRoutes(app, ctx);
  programRunRoutes(app, ctx);
  webAssetRoutes(app);

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
  return { url: address, close };
}
