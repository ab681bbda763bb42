/**
 * Shapes of the process-level resources: `/jobmanager/environment`, `/jobmanager/logs`,
 * thread dumps, log URLs, a job's configuration and accumulators, and Application mode's
 * `/applications` (Flink's names).
 */
import { Type, type Static } from 'typebox';
import { JobStatusSchema } from './common.js';
import { JobTaskCountsSchema } from './jobs.js';
import { UserAccumulatorSchema } from './vertices.js';

const Int = Type.Integer();

/** Flink's EnvironmentInfo; `jvm` describes the Node.js runtime (version, arch, execArgv). */
export const EnvironmentInfoSchema = Type.Object({
  jvm: Type.Object({ version: Type.String(), arch: Type.String(), options: Type.Array(Type.String()) }),
  classpath: Type.Array(Type.String()),
});
export type EnvironmentInfo = Static<typeof EnvironmentInfoSchema>;

export const LogListInfoSchema = Type.Object({ logs: Type.Array(Type.Object({ name: Type.String(), size: Int, mtime: Int })) });
export type LogListInfo = Static<typeof LogListInfoSchema>;

/** A log file's name: a plain file name of the log directory, never a path. */
export const LogNameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) });
export const TaskManagerLogParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  name: Type.String({ minLength: 1, maxLength: 255 }),
});

export const ThreadDumpInfoSchema = Type.Object({
  threadInfos: Type.Array(Type.Object({ threadName: Type.String(), stringifiedThreadInfo: Type.String() })),
});
export type ThreadDumpInfo = Static<typeof ThreadDumpInfoSchema>;

export const LogUrlResponseSchema = Type.Object({ url: Type.String() });
export const JobTaskManagerParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  tmid: Type.String({ minLength: 1, maxLength: 128 }),
});

/** `GET /jobs/:id/config`, as Flink writes it (JobConfigInfo's own serializer: jid, name, execution-config). */
export const JobConfigInfoSchema = Type.Object({
  jid: Type.String(),
  name: Type.String(),
  'execution-config': Type.Object({
    'execution-mode': Type.String(),
    'restart-strategy': Type.String(),
    'job-parallelism': Int,
    'object-reuse-mode': Type.Boolean(),
    'user-config': Type.Record(Type.String(), Type.String()),
  }),
});
export type JobConfigInfo = Static<typeof JobConfigInfoSchema>;

export const AccumulatorsQuery = Type.Object({ includeSerializedValue: Type.Optional(Type.Enum(['true', 'false'], { type: 'string' })) });

export const JobAccumulatorsInfoSchema = Type.Object({
  'job-accumulators': Type.Array(UserAccumulatorSchema),
  'user-task-accumulators': Type.Array(UserAccumulatorSchema),
  'serialized-user-task-accumulators': Type.Record(Type.String(), Type.String()),
});
export type JobAccumulatorsInfo = Static<typeof JobAccumulatorsInfoSchema>;

export const ApplicationParams = Type.Object({ applicationid: Type.String({ minLength: 1, maxLength: 128 }) });

const applicationFields = {
  id: Type.String(),
  name: Type.String(),
  status: Type.String(),
  'start-time': Int,
  'end-time': Int,
  duration: Int,
};
/** An application and its jobs by state (`/applications/overview`). */
export const ApplicationOverviewSchema = Type.Object({ ...applicationFields, jobs: Type.Record(Type.String(), Int) });
export const MultipleApplicationsDetailsSchema = Type.Object({ applications: Type.Array(ApplicationOverviewSchema) });
export type MultipleApplicationsDetails = Static<typeof MultipleApplicationsDetailsSchema>;

/** `/applications/:id`: its jobs with Flink's JobDetails fields. */
export const ApplicationDetailsInfoSchema = Type.Object({
  ...applicationFields,
  timestamps: Type.Record(Type.String(), Int),
  jobs: Type.Array(
    Type.Object({
      jid: Type.String(),
      name: Type.String(),
      state: JobStatusSchema,
      'start-time': Int,
      'end-time': Int,
      duration: Int,
      'last-modification': Int,
      tasks: JobTaskCountsSchema,
      jobType: Type.String(),
      schedulerType: Type.String(),
    }),
  ),
});
export type ApplicationDetailsInfo = Static<typeof ApplicationDetailsInfoSchema>;

export const ApplicationExceptionsSchema = Type.Object({
  exceptionHistory: Type.Object({
    entries: Type.Array(Type.Object({ exceptionName: Type.String(), stacktrace: Type.String(), timestamp: Int, jobId: Type.String() })),
  }),
});
export type ApplicationExceptions = Static<typeof ApplicationExceptionsSchema>;
