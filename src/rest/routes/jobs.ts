/**
 * Jobs: `/jobs`, `/jobs/overview`, `/jobs/:id` (+ `/status`, `/plan`, `/exceptions`, `PATCH
 * ?mode=cancel`) for live and archived jobs alike (JobView), and the result long poll.
 */
import type { JobResult } from '../../runtime/jobmanager/job-master.js';
import { isGloballyTerminal } from '../../runtime/jobmanager/job-status.js';
import {
  CancelJobQuery,
  EmptySchema,
  IdParams,
  JobDetailsSchema,
  JobExceptionsQuery,
  JobExceptionsSchema,
  JobIdsWithStatusSchema,
  JobPlanInfoSchema,
  JobResultQuery,
  JobResultResponseSchema,
  JobStatusInfoSchema,
  MultipleJobsDetailsSchema,
  withErrors,
} from '../api.js';
import { completedResult } from '../views.js';
import type { RestApp, RouteContext } from './context.js';

/** Longest a `/jobs/:id/result` request waits for the job to end. */
export const MAX_RESULT_WAIT_MS = 60_000;
const DEFAULT_MAX_EXCEPTIONS = 20;

export function jobRoutes(app: RestApp, ctx: RouteContext): void {
  const { jobs } = ctx;

  app.get('/jobs', { schema: { response: withErrors({ 200: JobIdsWithStatusSchema }) } }, async () => ({
    jobs: (await jobs.overviews()).map((j) => ({ id: j.jid, status: j.state })),
  }));

  app.get('/jobs/overview', { schema: { response: withErrors({ 200: MultipleJobsDetailsSchema }) } }, async () => ({
    jobs: await jobs.overviews(),
  }));

  app.get('/jobs/:id', { schema: { params: IdParams, response: withErrors({ 200: JobDetailsSchema }) } }, async (req) =>
    (await jobs.get(req.params.id)).details(),
  );

  app.get('/jobs/:id/status', { schema: { params: IdParams, response: withErrors({ 200: JobStatusInfoSchema }) } }, async (req) => ({
    status: await (await jobs.get(req.params.id)).status(),
  }));

  app.get('/jobs/:id/plan', { schema: { params: IdParams, response: withErrors({ 200: JobPlanInfoSchema }) } }, async (req) =>
    (await jobs.get(req.params.id)).plan(),
  );

  app.get(
    '/jobs/:id/exceptions',
    { schema: { params: IdParams, querystring: JobExceptionsQuery, response: withErrors({ 200: JobExceptionsSchema }) } },
    async (req) => (await jobs.get(req.params.id)).exceptions(Number(req.query.maxExceptions ?? DEFAULT_MAX_EXCEPTIONS)),
  );

  app.patch(
    '/jobs/:id',
    { schema: { params: IdParams, querystring: CancelJobQuery, response: withErrors({ 202: EmptySchema }) } },
    async (req, reply) => {
      await (await jobs.get(req.params.id)).cancel();
      return reply.code(202).send({});
    },
  );

  // `/jobs/:id/result` (Weir; the remote client's execute() long-polls it) and Flink's name for the
  // same resource: both answer at once unless ?timeout=ms asks to wait for the job to end.
  for (const path of ['/jobs/:id/result', '/jobs/:id/execution-result']) {
    app.get(
      path,
      { schema: { params: IdParams, querystring: JobResultQuery, response: withErrors({ 200: JobResultResponseSchema }) } },
      async (req) => {
        const jm = jobs.running(req.params.id);
        const wait = Math.min(MAX_RESULT_WAIT_MS, req.query.timeout === undefined ? 0 : Number(req.query.timeout));
        const r: JobResult | undefined = isGloballyTerminal(jm.status) ? await jm.result() : await ctx.waitAtMost(jm.result(), wait);
        if (r) ctx.onResultServed?.(r.jobId);
        return r ? completedResult(r) : { status: { id: 'IN_PROGRESS' as const } };
      },
    );
  }
}
