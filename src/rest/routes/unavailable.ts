/**
 * The GET paths of Flink's REST API that have no meaning in Weir: each answers 404 with why, and
 * what to use instead. docs/rest-api.md lists the same paths (a test checks both).
 */
import { HttpError } from '../http-error.js';
import type { RestApp } from './context.js';

/** Flink's path (OpenAPI spelling) → why Weir does not serve it. */
export const UNAVAILABLE_PATHS: Readonly<Record<string, string>> = {
  '/jars': 'Weir runs bundles, not jars: use GET /bundles (and POST /bundles/upload, /bundles/:id/run)',
  '/datasets': 'Weir has no cluster data sets (cached intermediate results of the Table API): there is nothing to list',
  '/datasets/delete/{triggerid}': 'Weir has no cluster data sets, so no deletion of one to report on',
  '/jobs/{jobid}/rescales/config':
    "Weir has no Adaptive Scheduler and so no rescaling of a running job: rescale with 'weir stop --savepoint-path' then 'weir run -s <savepoint> -p <n>'",
  '/jobs/{jobid}/rescales/details/{rescaleuuid}':
    "Weir has no Adaptive Scheduler and so no rescales to detail: rescale with 'weir stop --savepoint-path' then 'weir run -s <savepoint> -p <n>'",
  '/jobs/{jobid}/rescales/history':
    "Weir has no Adaptive Scheduler and so no rescale history: rescale with 'weir stop --savepoint-path' then 'weir run -s <savepoint> -p <n>'",
  '/jobs/{jobid}/rescaling/{triggerid}':
    "Weir cannot rescale a running job: rescale with 'weir stop --savepoint-path' then 'weir run -s <savepoint> -p <n>'",
  '/jobs/{jobid}/resource-requirements':
    "Weir's scheduler runs each vertex at its declared parallelism (Flink's Default scheduler): there are no adjustable resource requirements; see GET /jobs/:id for the parallelism",
  '/jobs/{jobid}/vertices/{vertexid}/flamegraph':
    'Flame graphs sample JVM thread stacks; Node cannot sample the stacks of a running worker thread from outside it. Use GET /jobs/:id/vertices/:vid/backpressure, or node --cpu-prof on a TaskManager',
  '/savepoint-disposal/{triggerid}':
    'Weir does not dispose savepoints through the REST API (there is no POST /savepoint-disposal): delete the savepoint directory',
};

/** Flink's `{param}` spelling as a fastify route. */
export const routeOf = (specPath: string): string => specPath.replace(/\{([^}]+)\}/g, ':$1');

export function unavailableRoutes(app: RestApp): void {
  for (const [path, why] of Object.entries(UNAVAILABLE_PATHS)) {
    app.get(routeOf(path), async () => {
      throw new HttpError(404, `GET ${path} has no meaning in Weir: ${why}`);
    });
  }
}
