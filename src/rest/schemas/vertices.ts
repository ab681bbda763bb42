/**
 * Shapes of a job vertex's resources: `/jobs/:id/vertices/:vid` and its subtasks, attempts,
 * subtask times, TaskManagers, accumulators, backpressure and watermarks (Flink's names).
 */
import { Type, type Static } from 'typebox';
import { ExecutionStateSchema, OneOf } from './common.js';
import { VertexMetricsSchema } from './jobs.js';

const Int = Type.Integer();
/** Per state name, ms or a timestamp. */
const ByState = Type.Record(Type.String(), Type.Integer());

export const VertexParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  vid: Type.String({ minLength: 1, maxLength: 128 }),
});
/** The subtask index is checked by the route (a 404 names the vertex's subtasks). */
export const SubtaskParams = Type.Object({ ...VertexParams.properties, index: Type.String({ minLength: 1, maxLength: 20 }) });
export const AttemptParams = Type.Object({ ...SubtaskParams.properties, attempt: Type.String({ pattern: '^[0-9]{1,9}$' }) });

const subtaskAttemptFields = {
  subtask: Int,
  status: ExecutionStateSchema,
  attempt: Int,
  endpoint: Type.String(),
  'start-time': Int,
  'end-time': Int,
  duration: Int,
  metrics: VertexMetricsSchema,
  'taskmanager-id': Type.String(),
  'status-duration': ByState,
};
/** Flink's SubtaskExecutionAttemptDetailsInfo (Weir restarts whole jobs: no concurrent attempts). */
export const SubtaskAttemptDetailsSchema = Type.Object({
  ...subtaskAttemptFields,
  'other-concurrent-attempts': Type.Array(Type.Object(subtaskAttemptFields)),
});
export type SubtaskAttemptDetails = Static<typeof SubtaskAttemptDetailsSchema>;

/** min/max/avg/sum/median/p25/p75/p95 of one figure over a vertex's subtasks. */
const Aggregate = Type.Object({
  min: Int,
  max: Int,
  avg: Int,
  sum: Int,
  median: Int,
  p25: Int,
  p75: Int,
  p95: Int,
});
export type AggregateFigures = Static<typeof Aggregate>;
export const AggregatedTaskDetailsSchema = Type.Object({
  metrics: Type.Record(Type.String(), Aggregate),
  'status-duration': Type.Record(Type.String(), Aggregate),
});

export const JobVertexDetailsInfoSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  parallelism: Int,
  maxParallelism: Int,
  now: Int,
  subtasks: Type.Array(SubtaskAttemptDetailsSchema),
  aggregated: AggregatedTaskDetailsSchema,
});
export type JobVertexDetailsInfo = Static<typeof JobVertexDetailsInfoSchema>;

export const SubtasksTimesInfoSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  now: Int,
  subtasks: Type.Array(Type.Object({ subtask: Int, endpoint: Type.String(), duration: Int, timestamps: ByState })),
});
export type SubtasksTimesInfo = Static<typeof SubtasksTimesInfoSchema>;

export const JobVertexTaskManagersInfoSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  now: Int,
  taskmanagers: Type.Array(
    Type.Object({
      endpoint: Type.String(),
      'taskmanager-id': Type.String(),
      status: ExecutionStateSchema,
      'start-time': Int,
      'end-time': Int,
      duration: Int,
      metrics: VertexMetricsSchema,
      'status-counts': ByState,
      aggregated: AggregatedTaskDetailsSchema,
    }),
  ),
});
export type JobVertexTaskManagersInfo = Static<typeof JobVertexTaskManagersInfoSchema>;

export const UserAccumulatorSchema = Type.Object({ name: Type.String(), type: Type.String(), value: Type.String() });
export type UserAccumulator = Static<typeof UserAccumulatorSchema>;

export const JobVertexAccumulatorsInfoSchema = Type.Object({ id: Type.String(), 'user-accumulators': Type.Array(UserAccumulatorSchema) });
export const SubtasksAllAccumulatorsInfoSchema = Type.Object({
  id: Type.String(),
  parallelism: Int,
  subtasks: Type.Array(
    Type.Object({ subtask: Int, attempt: Int, endpoint: Type.String(), 'user-accumulators': Type.Array(UserAccumulatorSchema) }),
  ),
});
export const SubtaskAttemptAccumulatorsInfoSchema = Type.Object({
  subtask: Int,
  attempt: Int,
  id: Type.String(),
  'user-accumulators': Type.Array(UserAccumulatorSchema),
});

export const BACK_PRESSURE_LEVELS = ['ok', 'low', 'high'] as const;
export type BackPressureLevel = (typeof BACK_PRESSURE_LEVELS)[number];
const subtaskBackPressureFields = {
  subtask: Int,
  'attempt-number': Int,
  backpressureLevel: OneOf(BACK_PRESSURE_LEVELS),
  ratio: Type.Number(),
  idleRatio: Type.Number(),
  busyRatio: Type.Number(),
};
export const JobVertexBackPressureInfoSchema = Type.Object({
  status: OneOf(['deprecated', 'ok']),
  backpressureLevel: OneOf(BACK_PRESSURE_LEVELS),
  'end-timestamp': Int,
  subtasks: Type.Array(
    Type.Object({ ...subtaskBackPressureFields, 'other-concurrent-attempts': Type.Array(Type.Object(subtaskBackPressureFields)) }),
  ),
});
export type JobVertexBackPressureInfo = Static<typeof JobVertexBackPressureInfoSchema>;
