/**
 * Flink's metrics paths, over the JobManager's metric store: `/jobmanager/metrics`,
 * `/taskmanagers/metrics`, `/taskmanagers/:tmid/metrics`, `/jobs/metrics`, `/jobs/:id/metrics`,
 * `/jobs/:id/vertices/:vid/metrics`, `.../subtasks/metrics`, `.../subtasks/:idx/metrics` and
 * `.../jm-operator-metrics`, with `?get=`, and on the aggregating paths `?agg=` and the component
 * selection (`?taskmanagers=`, `?jobs=`, `?subtasks=`). As in Flink, a component without metrics
 * (an unknown or ended job) answers an empty list; a malformed selection is a 400.
 */
import type { MetricValues } from '../../metrics/metric-store.js';
import { aggregateMetrics, parseAggregations, parseIds, parseRanges, selectMetrics } from '../../metrics/query.js';
import { withErrors } from '../api.js';
import { HttpError } from '../http-error.js';
import {
  AggregatedJobMetricsQuery,
  AggregatedMetricsSchema,
  AggregatedSubtaskMetricsQuery,
  AggregatedTaskManagerMetricsQuery,
  JobMetricsParams,
  MetricCollectionSchema,
  MetricsQuery,
  SubtaskMetricsParams,
  TaskManagerMetricsParams,
  VertexMetricsParams,
} from '../schemas/metrics.js';
import type { RestApp, RouteContext } from './context.js';

/** The query's mistakes (a bad `agg`, a bad range) are the caller's: 400. */
function badRequest<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new HttpError(400, e instanceof Error ? e.message : String(e), 'WEIR_CONFIG_BAD_VALUE');
  }
}

export function metricsRoutes(app: RestApp, { jobManager }: RouteContext): void {
  const store = jobManager.metrics.store;
  const collection = { response: withErrors({ 200: MetricCollectionSchema }) };
  const aggregated = { response: withErrors({ 200: AggregatedMetricsSchema }) };
  const aggregate = (components: MetricValues[], get: string | undefined, agg: string | undefined) =>
    aggregateMetrics(
      components,
      get,
      badRequest(() => parseAggregations(agg)),
    );

  app.get('/jobmanager/metrics', { schema: { querystring: MetricsQuery, ...collection } }, async (req) =>
    selectMetrics(store.jobManager(), req.query.get),
  );

  app.get('/taskmanagers/metrics', { schema: { querystring: AggregatedTaskManagerMetricsQuery, ...aggregated } }, async (req) => {
    const ids = parseIds(req.query.taskmanagers) ?? store.taskManagerIds();
    const components = ids.map((id) => store.taskManager(id)).filter((m): m is MetricValues => m !== undefined);
    return aggregate(components, req.query.get, req.query.agg);
  });

  app.get(
    '/taskmanagers/:tmid/metrics',
    { schema: { params: TaskManagerMetricsParams, querystring: MetricsQuery, ...collection } },
    async (req) => selectMetrics(store.taskManager(req.params.tmid) ?? new Map(), req.query.get),
  );

  app.get('/jobs/metrics', { schema: { querystring: AggregatedJobMetricsQuery, ...aggregated } }, async (req) => {
    const ids = parseIds(req.query.jobs) ?? store.jobIds();
    return aggregate(
      ids.map((id) => store.job(id)),
      req.query.get,
      req.query.agg,
    );
  });

  app.get('/jobs/:id/metrics', { schema: { params: JobMetricsParams, querystring: MetricsQuery, ...collection } }, async (req) =>
    selectMetrics(store.job(req.params.id), req.query.get),
  );

  app.get(
    '/jobs/:id/vertices/:vid/metrics',
    { schema: { params: VertexMetricsParams, querystring: MetricsQuery, ...collection } },
    async (req) => selectMetrics(store.vertex(req.params.id, req.params.vid), req.query.get),
  );

  app.get(
    '/jobs/:id/vertices/:vid/jm-operator-metrics',
    { schema: { params: VertexMetricsParams, querystring: MetricsQuery, ...collection } },
    async (req) => selectMetrics(store.jmOperator(req.params.id, req.params.vid), req.query.get),
  );

  app.get(
    '/jobs/:id/vertices/:vid/subtasks/metrics',
    { schema: { params: VertexMetricsParams, querystring: AggregatedSubtaskMetricsQuery, ...aggregated } },
    async (req) => {
      const { id, vid } = req.params;
      const available = store.subtaskIndices(id, vid);
      const wanted = req.query.subtasks === undefined ? available : badRequest(() => parseRanges(req.query.subtasks!));
      const components = wanted.filter((i) => available.includes(i)).map((i) => store.subtask(id, vid, i));
      return aggregate(components, req.query.get, req.query.agg);
    },
  );

  app.get(
    '/jobs/:id/vertices/:vid/subtasks/:idx/metrics',
    { schema: { params: SubtaskMetricsParams, querystring: MetricsQuery, ...collection } },
    async (req) => selectMetrics(store.subtask(req.params.id, req.params.vid, Number(req.params.idx)), req.query.get),
  );
}
