/**
 * `POST /bundles/:id/run-program`: runs main() of an uploaded program in the JobManager, the way
 * Flink's `POST /jars/:jarid/run` does (the dashboard's Submit page uses it). The upload may be a
 * bundle made by weir or a single `.ts`/`.js` file, which the JobManager bundles first with the
 * client's bundling code. main()'s jobs run detached: the answer names them once submitted.
 */
import { BundleIdParams, ProgramRunRequestSchema, ProgramRunResponseSchema, withErrors } from '../api.js';
import { HttpError } from '../http-error.js';
import type { RestApp, RouteContext } from './context.js';

export function programRunRoutes(app: RestApp, ctx: RouteContext): void {
  app.post(
    '/bundles/:id/run-program',
    { schema: { params: BundleIdParams, body: ProgramRunRequestSchema, response: withErrors({ 200: ProgramRunResponseSchema }) } },
    async (req) => {
      const runner = ctx.programRunner;
      if (!runner)
        throw new HttpError(
          501,
          "This JobManager does not run programs' main(): only a session cluster does (a local, per-job or application cluster runs its own program); submit with weir run",
        );
      const bundle = ctx.store.get(req.params.id);
      if (!bundle) throw new HttpError(404, `Bundle ${req.params.id} not found: upload it first (POST /bundles/upload)`);
      const b = req.body;
      const jobids = await runner({
        path: bundle.path,
        name: bundle.info.name,
        args: b.programArgsList ?? [],
        parallelism: b.parallelism,
        savepointPath: b.savepointPath,
        allowNonRestoredState: b.allowNonRestoredState,
      });
      return { jobid: jobids[0]!, jobids };
    },
  );
}
