/**
 * Application mode's applications: `/applications/overview`, `/applications/:applicationid`
 * (+ `/exceptions`, `/jobmanager/config`). A JobManager runs at most one application (its
 * cluster is the application's); a session cluster has none.
 */
import type { ApplicationStatus } from '../api.js';
import {
  ApplicationDetailsInfoSchema,
  ApplicationExceptionsSchema,
  ApplicationParams,
  ConfigEntriesSchema,
  MultipleApplicationsDetailsSchema,
  withErrors,
} from '../api.js';
import { HttpError } from '../http-error.js';
import { jobOverviewEntry } from '../views.js';
import type { RestApp, RouteContext } from './context.js';
import type { JobMaster } from '../../runtime/jobmanager/job-master.js';

export function applicationRoutes(app: RestApp, ctx: RouteContext): void {
  const dispatcher = ctx.jobManager.dispatcher;

  const current = (): ApplicationStatus | undefined => ctx.application?.();
  const find = (id: string): ApplicationStatus => {
    const a = current();
    if (!a)
      throw new HttpError(
        404,
        'This cluster runs no application: applications exist in Application mode only (weir run -t process-application, weir jobmanager --application)',
      );
    if (a.id !== id) throw new HttpError(404, `Application ${id} not found: this cluster runs application ${a.id}`);
    return a;
  };
  const jobsOf = (a: ApplicationStatus): JobMaster[] => a.jobs.filter((j) => dispatcher.hasJob(j)).map((j) => dispatcher.job(j));
  // The name of its first job (the program's name when it has none yet: a bundle's is its hash).
  const nameOf = (a: ApplicationStatus): string => jobsOf(a)[0]?.jobName ?? a.name ?? a.id;
  const times = (a: ApplicationStatus) => {
    const start = a.startTime ?? -1;
    const end = a.endTime ?? -1;
    return { 'start-time': start, 'end-time': end, duration: start < 0 ? -1 : (end > 0 ? end : Date.now()) - start };
  };

  app.get('/applications/overview', { schema: { response: withErrors({ 200: MultipleApplicationsDetailsSchema }) } }, async () => {
    const a = current();
    if (!a) return { applications: [] };
    const counts: Record<string, number> = {};
    for (const jm of jobsOf(a)) counts[jm.status] = (counts[jm.status] ?? 0) + 1;
    return { applications: [{ id: a.id, name: nameOf(a), status: a.status, ...times(a), jobs: counts }] };
  });

  app.get(
    '/applications/:applicationid',
    { schema: { params: ApplicationParams, response: withErrors({ 200: ApplicationDetailsInfoSchema }) } },
    async (req) => {
      const a = find(req.params.applicationid);
      const t = times(a);
      const timestamps: Record<string, number> = { RUNNING: t['start-time'] };
      if (a.status !== 'RUNNING' && t['end-time'] > 0) timestamps[a.status] = t['end-time'];
      return {
        id: a.id,
        name: nameOf(a),
        status: a.status,
        ...t,
        timestamps,
        jobs: jobsOf(a).map((jm) => ({ ...jobOverviewEntry(jm), jobType: jm.jobGraph.type, schedulerType: 'Default' })),
      };
    },
  );

  app.get(
    '/applications/:applicationid/exceptions',
    { schema: { params: ApplicationParams, response: withErrors({ 200: ApplicationExceptionsSchema }) } },
    async (req) => {
      const a = find(req.params.applicationid);
      const entries = jobsOf(a).flatMap((jm) =>
        jm.exceptions.map(({ timestamp, error }) => ({
          exceptionName: error.cause?.name ?? error.name,
          stacktrace: error.cause?.stack ?? error.stack ?? error.message,
          timestamp,
          jobId: jm.jobId,
        })),
      );
      if (a.error !== undefined)
        entries.push({ exceptionName: 'WeirError', stacktrace: a.error, timestamp: a.endTime ?? Date.now(), jobId: '' });
      return { exceptionHistory: { entries: entries.sort((x, y) => y.timestamp - x.timestamp) } };
    },
  );

  app.get(
    '/applications/:applicationid/jobmanager/config',
    { schema: { params: ApplicationParams, response: withErrors({ 200: ConfigEntriesSchema }) } },
    async (req) => {
      find(req.params.applicationid);
      return Object.entries(ctx.config.toStringMap({ redactSecrets: true })).map(([key, value]) => ({ key, value }));
    },
  );
}
