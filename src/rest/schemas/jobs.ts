/** Shapes of a job's resources: `/jobs`, `/jobs/overview`, `/jobs/:id` and its plan, exceptions and result. */
import { Type, type Static } from 'typebox';
import type { JobResult } from '../../runtime/jobmanager/job-master.js';
import {
  Counts,
  ErrorCodeSchema,
  EXECUTION_STATES,
  ExecutionStateSchema,
  JobStatusSchema,
  JOB_STATUSES,
  Nullable,
  OneOf,
} from './common.js';

export const JobIdsWithStatusSchema = Type.Object({ jobs: Type.Array(Type.Object({ id: Type.String(), status: JobStatusSchema })) });
export type JobIdsWithStatus = Static<typeof JobIdsWithStatusSchema>;
export type JobIdWithStatus = JobIdsWithStatus['jobs'][number];

export const JOB_TASK_COUNT_KEYS = [
  'total',
  'created',
  'scheduled',
  'deploying',
  'running',
  'finished',
  'canceling',
  'canceled',
  'failed',
  'reconciling',
  'initializing',
  'pending',
] as const;

/** Subtask counts by state, with Flink's lower-case keys (`/jobs/overview`). */
export const JobTaskCountsSchema = Counts(JOB_TASK_COUNT_KEYS);
export type JobTaskCounts = Static<typeof JobTaskCountsSchema>;

export const JobOverviewEntrySchema = Type.Object({
  jid: Type.String(),
  name: Type.String(),
  state: JobStatusSchema,
  'start-time': Type.Integer(),
  'end-time': Type.Integer(),
  duration: Type.Integer(),
  'last-modification': Type.Integer(),
  tasks: JobTaskCountsSchema,
  /** Optional: archived entries written before these fields existed lack them. */
  jobType: Type.Optional(OneOf(['STREAMING', 'BATCH'])),
  schedulerType: Type.Optional(Type.String()),
  'pending-operators': Type.Optional(Type.Integer()),
  /** Weir: the job comes from the job archive (jobmanager.archive.dir), not from this JobManager. */
  archived: Type.Optional(Type.Boolean()),
});
export type JobOverviewEntry = Static<typeof JobOverviewEntrySchema>;

export const MultipleJobsDetailsSchema = Type.Object({ jobs: Type.Array(JobOverviewEntrySchema) });
export type MultipleJobsDetails = Static<typeof MultipleJobsDetailsSchema>;

export const VertexMetricsSchema = Type.Object({
  'read-bytes': Type.Integer(),
  'read-bytes-complete': Type.Boolean(),
  'write-bytes': Type.Integer(),
  'write-bytes-complete': Type.Boolean(),
  'read-records': Type.Integer(),
  'read-records-complete': Type.Boolean(),
  'write-records': Type.Integer(),
  'write-records-complete': Type.Boolean(),
  'accumulated-backpressured-time': Type.Integer(),
  'accumulated-idle-time': Type.Integer(),
  'accumulated-busy-time': Type.Integer(),
});
export type VertexMetrics = Static<typeof VertexMetricsSchema>;

export const ExecutionStateCountsSchema = Counts(EXECUTION_STATES);
export type ExecutionStateCounts = Static<typeof ExecutionStateCountsSchema>;

export const JobVertexDetailsSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  maxParallelism: Type.Integer(),
  parallelism: Type.Integer(),
  status: ExecutionStateSchema,
  'start-time': Type.Integer(),
  'end-time': Type.Integer(),
  duration: Type.Integer(),
  tasks: ExecutionStateCountsSchema,
  metrics: VertexMetricsSchema,
});
export type JobVertexDetails = Static<typeof JobVertexDetailsSchema>;

/** Flink's plan JSON (graph/plan.ts builds it). */
export const JobPlanSchema = Type.Object({
  jid: Type.String(),
  name: Type.String(),
  type: Type.String(),
  nodes: Type.Array(
    Type.Object({
      id: Type.String(),
      parallelism: Type.Integer(),
      operator: Type.String(),
      operator_strategy: Type.String(),
      description: Type.String(),
      inputs: Type.Optional(
        Type.Array(Type.Object({ num: Type.Integer(), id: Type.String(), ship_strategy: Type.String(), exchange: Type.String() })),
      ),
      optimizer_properties: Type.Object({}),
    }),
  ),
});

export const JobPlanInfoSchema = Type.Object({ plan: JobPlanSchema });
export type JobPlanInfo = Static<typeof JobPlanInfoSchema>;

export const JobDetailsSchema = Type.Object({
  jid: Type.String(),
  name: Type.String(),
  isStoppable: Type.Boolean(),
  state: JobStatusSchema,
  'job-type': OneOf(['STREAMING', 'BATCH']),
  schedulerType: Type.Optional(Type.String()),
  'pending-operators': Type.Optional(Type.Integer()),
  'start-time': Type.Integer(),
  'end-time': Type.Integer(),
  duration: Type.Integer(),
  maxParallelism: Type.Integer(),
  now: Type.Integer(),
  timestamps: Counts(JOB_STATUSES),
  vertices: Type.Array(JobVertexDetailsSchema),
  'status-counts': ExecutionStateCountsSchema,
  plan: JobPlanSchema,
});
export type JobDetails = Static<typeof JobDetailsSchema>;

export const JobStatusInfoSchema = Type.Object({ status: JobStatusSchema });
export type JobStatusInfo = Static<typeof JobStatusInfoSchema>;

const exceptionEntryFields = {
  exceptionName: Type.String(),
  stacktrace: Type.String(),
  timestamp: Type.Integer(),
  taskName: Nullable(Type.String()),
  location: Nullable(Type.String()),
  endpoint: Nullable(Type.String()),
  taskManagerId: Nullable(Type.String()),
  failureLabels: Type.Record(Type.String(), Type.String()),
  /** Weir: the error's code and one-line message. */
  code: ErrorCodeSchema,
  message: Type.String(),
};
export const ExceptionHistoryEntrySchema = Type.Object({
  ...exceptionEntryFields,
  concurrentExceptions: Type.Array(Type.Object(exceptionEntryFields)),
});
export type ExceptionHistoryEntry = Static<typeof ExceptionHistoryEntrySchema>;

export const ExceptionInfoSchema = Type.Object({
  exception: Type.String(),
  task: Nullable(Type.String()),
  location: Nullable(Type.String()),
  timestamp: Type.Integer(),
  taskManagerId: Nullable(Type.String()),
});
export type ExceptionInfo = Static<typeof ExceptionInfoSchema>;

export const JobExceptionsSchema = Type.Object({
  'root-exception': Nullable(Type.String()),
  timestamp: Nullable(Type.Integer()),
  'all-exceptions': Type.Array(ExceptionInfoSchema),
  truncated: Type.Boolean(),
  exceptionHistory: Type.Object({ entries: Type.Array(ExceptionHistoryEntrySchema), truncated: Type.Boolean() }),
});
export type JobExceptions = Static<typeof JobExceptionsSchema>;

export const JobExceptionsQuery = Type.Object({ maxExceptions: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })) });

export const CancelJobQuery = Type.Object({ mode: Type.Optional(Type.Enum(['cancel'], { type: 'string' })) });

export const JobResultQuery = Type.Object({
  /** ms to wait for the job to end, at most MAX_RESULT_WAIT_MS (longer waits are cut to it) */
  timeout: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
});

/** `GET /jobs/:id/result` (Weir) and `/jobs/:id/execution-result` (Flink). */
export const JobResultResponseSchema = Type.Object({
  status: Type.Object({ id: OneOf(['IN_PROGRESS', 'COMPLETED']) }),
  'job-execution-result': Type.Optional(
    Type.Object({
      id: Type.String(),
      'application-status': OneOf(['SUCCEEDED', 'FAILED', 'CANCELED']),
      'net-runtime': Type.Integer(),
      'accumulator-results': Type.Object({}),
      'failure-cause': Type.Optional(
        Type.Object({ class: Type.String(), 'stack-trace': Type.String(), 'serialized-throwable': Type.String() }),
      ),
    }),
  ),
  /**
   * Weir: the whole JobResult as it is, with the records executeAndCollect() gathered (whatever the
   * program collected, so serialized without a closed shape).
   */
  result: Type.Optional(Type.Unsafe<JobResult>(Type.Object({}, { additionalProperties: true }))),
});
export type JobResultResponse = Static<typeof JobResultResponseSchema>;
