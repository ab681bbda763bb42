/**
 * The metrics paths' schemas. Flink's spec describes the bodies as objects with a `metrics` list,
 * but Flink serializes MetricCollectionResponseBody and AggregatedMetricsResponseBody as bare
 * arrays (`[{"id": "numRecordsIn", "value": "42"}]`), which is what tools read: Weir does as Flink.
 */
import { Type } from 'typebox';
import { JOB_ID_PATTERN, closed } from './common.js';

const ListParam = Type.String({ maxLength: 10_000 });

export const MetricCollectionSchema = Type.Array(Type.Object({ id: Type.String(), value: Type.Optional(Type.String()) }, closed));

export const AggregatedMetricsSchema = Type.Array(
  Type.Object(
    {
      id: Type.String(),
      min: Type.Optional(Type.Number()),
      max: Type.Optional(Type.Number()),
      avg: Type.Optional(Type.Number()),
      sum: Type.Optional(Type.Number()),
      skew: Type.Optional(Type.Number()),
    },
    closed,
  ),
);

export const MetricsQuery = Type.Object({ get: Type.Optional(ListParam) });
export const AggregatedTaskManagerMetricsQuery = Type.Object({
  get: Type.Optional(ListParam),
  agg: Type.Optional(ListParam),
  taskmanagers: Type.Optional(ListParam),
});
export const AggregatedJobMetricsQuery = Type.Object({
  get: Type.Optional(ListParam),
  agg: Type.Optional(ListParam),
  jobs: Type.Optional(ListParam),
});
export const AggregatedSubtaskMetricsQuery = Type.Object({
  get: Type.Optional(ListParam),
  agg: Type.Optional(ListParam),
  subtasks: Type.Optional(ListParam),
});

const JobId = Type.String({ pattern: JOB_ID_PATTERN });
const VertexId = Type.String({ minLength: 1, maxLength: 200 });
export const TaskManagerMetricsParams = Type.Object({ tmid: Type.String({ minLength: 1, maxLength: 300 }) });
export const JobMetricsParams = Type.Object({ id: JobId });
export const VertexMetricsParams = Type.Object({ id: JobId, vid: VertexId });
export const SubtaskMetricsParams = Type.Object({ id: JobId, vid: VertexId, idx: Type.String({ pattern: '^[0-9]{1,5}$' }) });
