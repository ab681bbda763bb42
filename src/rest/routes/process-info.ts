/**
 * What the cluster's processes tell about themselves: `/jobmanager/environment`,
 * `/jobmanager/thread-dump`, `/jobmanager/logs` (+ `/:name`), `/jobs/:id/jobmanager/config|environment|log-url`,
 * `/jobs/:id/taskmanagers/:tmid/log-url`, and a TaskManager's `/logs` (+ `/:name`) and
 * `/thread-dump`. Logs come from the process's log directory (env.log.dir), by file name only;
 * a TaskManager in another process is asked over its RPC connection.
 */
import type { TaskManagerGateway } from '../../runtime/jobmanager/resource-manager.js';
import type { InspectionKind, TaskManagerInspection } from '../../runtime/rpc/messages.js';
import { inspectProcess, MAX_LOG_BYTES, processEnvironment, threadDump } from '../../util/process-info.js';
import {
  ConfigEntriesSchema,
  EnvironmentInfoSchema,
  IdParams,
  JobTaskManagerParams,
  LogListInfoSchema,
  LogNameParams,
  LogUrlResponseSchema,
  TaskManagerLogParams,
  ThreadDumpInfoSchema,
  withErrors,
} from '../api.js';
import { HttpError } from '../http-error.js';
import type { RestApp, RouteContext } from './context.js';

const REFUSED = {
  'bad-name': 'is not a plain file name (log files are read by name, never by path)',
  'no-dir': 'cannot be read: this process has no log directory (env.log.dir)',
  missing: 'is not a file of the log directory',
} as const;

export function processInfoRoutes(app: RestApp, ctx: RouteContext): void {
  const { config, jobs, jobManager } = ctx;
  const logDir = (): string | undefined => config.get('env.log.dir');

  const taskManager = (id: string): TaskManagerGateway => {
    const t = jobManager.resourceManager.taskManagers().find((x) => x.gw.id === id);
    if (!t) throw new HttpError(404, `TaskManager ${id} not found`);
    return t.gw;
  };
  /** A TaskManager's answer: over RPC for another process, from this process for an in-process one. */
  const inspect = async (id: string, what: InspectionKind, name?: string): Promise<TaskManagerInspection> => {
    const gw = taskManager(id);
    if (!gw.inspect) return inspectProcess(what, name, logDir());
    try {
      return await gw.inspect(what, name);
    } catch (e) {
      throw new HttpError(503, `TaskManager ${id} did not answer: ${(e as Error).message}`);
    }
  };
  const sendLog = (answer: TaskManagerInspection['log'], name: string, reply: { type(t: string): unknown }): string => {
    if (!answer || answer.refused)
      throw new HttpError(answer?.refused === 'bad-name' ? 400 : 404, `Log file '${name}' ${REFUSED[answer?.refused ?? 'missing']}`);
    reply.type('text/plain; charset=utf-8');
    return answer.truncated
      ? `[... the first part of the file is left out: at most ${MAX_LOG_BYTES} bytes are served]\n${answer.text ?? ''}`
      : (answer.text ?? '');
  };

  app.get('/jobmanager/environment', { schema: { response: withErrors({ 200: EnvironmentInfoSchema }) } }, async () =>
    processEnvironment(),
  );
  app.get('/jobmanager/thread-dump', { schema: { response: withErrors({ 200: ThreadDumpInfoSchema }) } }, async () => ({
    threadInfos: threadDump(),
  }));
  app.get('/jobmanager/logs', { schema: { response: withErrors({ 200: LogListInfoSchema }) } }, async () => ({
    logs: (await inspectProcess('logs', undefined, logDir())).logs ?? [],
  }));
  app.get('/jobmanager/logs/:name', { schema: { params: LogNameParams } }, async (req, reply) =>
    sendLog((await inspectProcess('log', req.params.name, logDir())).log, req.params.name, reply),
  );

  // The JobManager a job runs on is this one.
  app.get(
    '/jobs/:id/jobmanager/config',
    { schema: { params: IdParams, response: withErrors({ 200: ConfigEntriesSchema }) } },
    async (req) => {
      await jobs.get(req.params.id);
      return Object.entries(config.toStringMap({ redactSecrets: true })).map(([key, value]) => ({ key, value }));
    },
  );
  app.get(
    '/jobs/:id/jobmanager/environment',
    { schema: { params: IdParams, response: withErrors({ 200: EnvironmentInfoSchema }) } },
    async (req) => {
      await jobs.get(req.params.id);
      return processEnvironment();
    },
  );
  app.get(
    '/jobs/:id/jobmanager/log-url',
    { schema: { params: IdParams, response: withErrors({ 200: LogUrlResponseSchema }) } },
    async (req) => {
      await jobs.get(req.params.id);
      return { url: `${ctx.address()}/jobmanager/logs` };
    },
  );
  app.get(
    '/jobs/:id/taskmanagers/:tmid/log-url',
    { schema: { params: JobTaskManagerParams, response: withErrors({ 200: LogUrlResponseSchema }) } },
    async (req) => {
      await jobs.get(req.params.id);
      taskManager(req.params.tmid);
      return { url: `${ctx.address()}/taskmanagers/${encodeURIComponent(req.params.tmid)}/logs` };
    },
  );

  app.get('/taskmanagers/:id/logs', { schema: { params: IdParams, response: withErrors({ 200: LogListInfoSchema }) } }, async (req) => ({
    logs: (await inspect(req.params.id, 'logs')).logs ?? [],
  }));
  app.get('/taskmanagers/:id/logs/:name', { schema: { params: TaskManagerLogParams } }, async (req, reply) =>
    sendLog((await inspect(req.params.id, 'log', req.params.name)).log, req.params.name, reply),
  );
  app.get(
    '/taskmanagers/:id/thread-dump',
    { schema: { params: IdParams, response: withErrors({ 200: ThreadDumpInfoSchema }) } },
    async (req) => ({
      threadInfos: (await inspect(req.params.id, 'threadDump')).threads ?? [],
    }),
  );
}
