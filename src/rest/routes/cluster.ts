/** The cluster: `/overview`, `/config`, `/jobmanager/config`, `/application`, `DELETE /cluster`. */
import { isGloballyTerminal } from '../../runtime/jobmanager/job-status.js';
import {
  ApplicationStatusSchema,
  ClusterOverviewSchema,
  ConfigEntriesSchema,
  DashboardConfigSchema,
  EmptySchema,
  withErrors,
} from '../api.js';
import { HttpError } from '../http-error.js';
import type { RestApp, RouteContext } from './context.js';

export function clusterRoutes(app: RestApp, ctx: RouteContext): void {
  const { config, jobManager, version } = ctx;
  const commit = (): string => process.env.WEIR_COMMIT ?? 'unknown';

  app.get('/overview', { schema: { response: withErrors({ 200: ClusterOverviewSchema }) } }, async () => {
    const jobs = jobManager.dispatcher.list();
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
      'flink-commit': commit(),
      'taskmanagers-blocked': 0,
      'slots-free-and-blocked': 0,
    };
  });

  app.get('/config', { schema: { response: withErrors({ 200: DashboardConfigSchema }) } }, async () => ({
    'refresh-interval': 3000,
    'timezone-name': Intl.DateTimeFormat().resolvedOptions().timeZone,
    'timezone-offset': -new Date().getTimezoneOffset() * 60_000,
    'flink-version': version,
    'flink-revision': commit(),
    features: { 'web-submit': true, 'web-cancel': true, 'web-rescale': false, 'web-history': false },
  }));

  app.get('/jobmanager/config', { schema: { response: withErrors({ 200: ConfigEntriesSchema }) } }, async () =>
    Object.entries(config.toStringMap({ redactSecrets: true })).map(([key, value]) => ({ key, value })),
  );

  app.get('/application', { schema: { response: withErrors({ 200: ApplicationStatusSchema }) } }, async () => {
    if (!ctx.application) throw new HttpError(404, 'This cluster runs no application (it is not in Application mode)');
    return ctx.application();
  });

  app.delete('/cluster', { schema: { response: withErrors({ 200: EmptySchema }) } }, async (_req, reply) => {
    reply.raw.once('finish', () =>
      setImmediate(() => {
        void Promise.resolve()
          .then(() => ctx.shutdown())
          .catch(() => undefined);
      }),
    );
    return {};
  });
}
