/**
 * The REST API's message types and their JSON schemas, shared by the server (validation and
 * serialization) and the typed client. Paths and field names are Flink's where the concept is
 * the same (DESIGN §6), so tools written for Flink's REST API can read Weir's; bundles replace jars.
 */
import type { ExecutionRecord } from '../api/execution-context.js';
import type { JobStatus } from '../api/job-client.js';
import type { ErrorCode, SerializedError } from '../errors.js';
import type { JobGraph } from '../graph/job-graph.js';
import type { JobPlan } from '../graph/plan.js';
import type { StreamGraphDefaults } from '../graph/stream-graph.js';
import type { CachedFileEntry } from '../runtime/blob/cached-files.js';
import type { JobResult } from '../runtime/jobmanager/job-master.js';
import type { ExecutionState } from '../runtime/rpc/messages.js';

// ---- types -----------------------------------------------------------------------------------

/** Every error response: Flink's `{errors: [...]}`, plus Weir's error code when there is one. */
export interface ErrorBody {
  errors: string[];
  code?: ErrorCode;
}

export interface ClusterOverview {
  taskmanagers: number;
  'slots-total': number;
  'slots-available': number;
  'jobs-running': number;
  'jobs-finished': number;
  'jobs-cancelled': number;
  'jobs-failed': number;
  'flink-version': string;
  'flink-commit': string;
}

export interface DashboardConfig {
  'refresh-interval': number;
  'timezone-name': string;
  'timezone-offset': number;
  'flink-version': string;
  'flink-revision': string;
  features: { 'web-submit': boolean; 'web-cancel': boolean; 'web-rescale': boolean; 'web-history': boolean };
}

export interface JobIdWithStatus {
  id: string;
  status: JobStatus;
}

export interface JobIdsWithStatus {
  jobs: JobIdWithStatus[];
}

/** Subtask counts by state, with Flink's lower-case keys (`/jobs/overview`). */
export type JobTaskCounts = Record<
  | 'total'
  | 'created'
  | 'scheduled'
  | 'deploying'
  | 'running'
  | 'finished'
  | 'canceling'
  | 'canceled'
  | 'failed'
  | 'reconciling'
  | 'initializing'
  | 'pending',
  number
>;

export interface JobOverviewEntry {
  jid: string;
  name: string;
  state: JobStatus;
  'start-time': number;
  'end-time': number;
  duration: number;
  'last-modification': number;
  tasks: JobTaskCounts;
  /** Weir: the job comes from the job archive (jobmanager.archive.dir), not from this JobManager. */
  archived?: boolean;
}

export interface MultipleJobsDetails {
  jobs: JobOverviewEntry[];
}

export interface VertexMetrics {
  'read-bytes': number;
  'read-bytes-complete': boolean;
  'write-bytes': number;
  'write-bytes-complete': boolean;
  'read-records': number;
  'read-records-complete': boolean;
  'write-records': number;
  'write-records-complete': boolean;
  'accumulated-backpressured-time': number;
  'accumulated-idle-time': number;
  'accumulated-busy-time': number;
}

export type ExecutionStateCounts = Record<ExecutionState | 'RECONCILING', number>;

export interface JobVertexDetails {
  id: string;
  name: string;
  maxParallelism: number;
  parallelism: number;
  status: ExecutionState;
  'start-time': number;
  'end-time': number;
  duration: number;
  tasks: ExecutionStateCounts;
  metrics: VertexMetrics;
}

export interface JobDetails {
  jid: string;
  name: string;
  isStoppable: boolean;
  state: JobStatus;
  'job-type': 'STREAMING' | 'BATCH';
  'start-time': number;
  'end-time': number;
  duration: number;
  maxParallelism: number;
  now: number;
  timestamps: Record<JobStatus, number>;
  vertices: JobVertexDetails[];
  'status-counts': ExecutionStateCounts;
  plan: JobPlan;
}

export interface JobStatusInfo {
  status: JobStatus;
}

export interface JobPlanInfo {
  plan: JobPlan;
}

export interface ExceptionInfo {
  exception: string;
  task: string | null;
  location: string | null;
  timestamp: number;
  taskManagerId: string | null;
}

export interface ExceptionHistoryEntry {
  exceptionName: string;
  stacktrace: string;
  timestamp: number;
  taskName: string | null;
  location: string | null;
  endpoint: string | null;
  taskManagerId: string | null;
  failureLabels: Record<string, string>;
  concurrentExceptions: ExceptionHistoryEntry[];
  /** Weir: the error's code and one-line message. */
  code: ErrorCode;
  message: string;
}

export interface JobExceptions {
  'root-exception': string | null;
  timestamp: number | null;
  'all-exceptions': ExceptionInfo[];
  truncated: boolean;
  exceptionHistory: { entries: ExceptionHistoryEntry[]; truncated: boolean };
}

export interface HardwareDescription {
  cpuCores: number;
  physicalMemory: number;
  freeMemory: number;
  managedMemory: number;
}

export interface TaskManagerInfo {
  id: string;
  path: string;
  dataPort: number;
  jmxPort: number;
  timeSinceLastHeartbeat: number;
  slotsNumber: number;
  freeSlots: number;
  hardware: HardwareDescription;
  blocked: boolean;
}

export interface TaskManagersInfo {
  taskmanagers: TaskManagerInfo[];
}

export interface ConfigEntry {
  key: string;
  value: string;
}

export interface BundleUploadResponse {
  /** SHA-256 of the bundle's bytes: what `/bundles/:id/run` takes. */
  id: string;
  filename: string;
  status: 'success';
  size: number;
}

export interface BundleInfo {
  id: string;
  /** Display name given at upload (never used as a path). */
  name: string;
  uploaded: number;
  size: number;
}

export interface BundleList {
  address: string;
  files: BundleInfo[];
}

/** `POST /bundles/:id/run`: what the client's plan mode produced for one execute(). */
/**
 * `GET /application` (Weir): the application a per-job-less Application cluster runs. `status` is
 * RUNNING while main() runs or a job of it has not ended, then FINISHED (main() returned, every job
 * ended), or FAILED (main() threw; `error` says why). `jobs` are its job ids in submission order.
 */
export interface ApplicationStatus {
  id: string;
  status: 'RUNNING' | 'FINISHED' | 'FAILED';
  jobs: string[];
  error?: string;
}

export interface BundleRunRequest {
  jobGraph: JobGraph;
  graphDefaults: StreamGraphDefaults;
  programArgs?: string[];
  cwd?: string;
  executionIndex?: number;
  /** Job configuration (the program's and the client's); the cluster's configuration fills the rest. */
  config?: Record<string, unknown>;
  /** A job id to use (32 hex digits); a new one otherwise. */
  jobId?: string;
  /** Slots compare the JobGraph's structure fingerprint only (main() ran from differently compiled code). */
  structuralCheck?: boolean;
  /** What main() saw of its earlier executions (results, statuses): slots replaying main() see the same. */
  observed?: ExecutionRecord[];
  /** The same, stored content-addressed first with `POST /blobs/upload` (large results): its blob id. */
  observedBlob?: string;
  /** Distributed cache files, uploaded first with `POST /blobs/upload`. */
  cachedFiles?: CachedFileEntry[];
}

/** `POST /blobs/upload`: a distributed cache file's bytes, stored by SHA-256. */
export interface BlobUploadResponse {
  id: string;
  size: number;
}

export interface BundleRunResponse {
  jobid: string;
}

/** `GET /jobs/:id/result` (Weir) and `/jobs/:id/execution-result` (Flink). */
export interface JobResultResponse {
  status: { id: 'IN_PROGRESS' | 'COMPLETED' };
  'job-execution-result'?: {
    id: string;
    'application-status': 'SUCCEEDED' | 'FAILED' | 'CANCELED';
    'net-runtime': number;
    'accumulator-results': Record<string, never>;
    'failure-cause'?: { class: string; 'stack-trace': string; 'serialized-throwable': string };
  };
  /** Weir: the whole result, with the records executeAndCollect() gathered. */
  result?: JobResult;
}

export type { SerializedError };

// ---- savepoints (Flink's asynchronous operations) ----------------------------------------------

/** POST /jobs/:id/savepoints */
export interface SavepointTriggerRequest {
  'target-directory'?: string;
  /** Stop the job once the savepoint completed (as POST /jobs/:id/stop without drain). */
  'cancel-job'?: boolean;
}

/** POST /jobs/:id/stop */
export interface StopWithSavepointRequest {
  targetDirectory?: string;
  drain?: boolean;
}

export interface TriggerResponse {
  'request-id': string;
}

/** GET /jobs/:id/savepoints/:triggerId; a failed savepoint is COMPLETED with a failure-cause, as in Flink. */
export interface SavepointInfo {
  status: { id: 'IN_PROGRESS' | 'COMPLETED' };
  operation?: { location: string } | { 'failure-cause': { class: string; 'stack-trace': string } };
}

// ---- JSON schemas ----------------------------------------------------------------------------

export const JOB_STATUSES: readonly JobStatus[] = [
  'INITIALIZING',
  'CREATED',
  'RUNNING',
  'FAILING',
  'FAILED',
  'CANCELLING',
  'CANCELED',
  'FINISHED',
  'RESTARTING',
  'SUSPENDED',
  'RECONCILING',
];
export const EXECUTION_STATES: readonly (ExecutionState | 'RECONCILING')[] = [
  'CREATED',
  'SCHEDULED',
  'DEPLOYING',
  'INITIALIZING',
  'RUNNING',
  'FINISHED',
  'CANCELING',
  'CANCELED',
  'FAILED',
  'RECONCILING',
];
export const JOB_TASK_COUNT_KEYS: readonly (keyof JobTaskCounts)[] = [
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
];

type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const nullableStr: Schema = { type: ['string', 'null'] };
const anyObject: Schema = { type: 'object', additionalProperties: true };

/** An object whose listed properties are all required. */
function obj(properties: Record<string, Schema>, optional: string[] = [], additionalProperties: boolean | Schema = false): Schema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    additionalProperties,
  };
}
function record(keys: readonly string[], value: Schema): Schema {
  return obj(Object.fromEntries(keys.map((k) => [k, value])));
}
function arr(items: Schema, extra: Schema = {}): Schema {
  return { type: 'array', items, ...extra };
}

export const JOB_ID_PATTERN = '^[0-9a-f]{32}$';
export const BUNDLE_ID_PATTERN = '^[0-9a-f]{64}$';

export const errorBodySchema = obj({ errors: arr(str), code: str }, ['code']);

const planSchema = obj({
  jid: str,
  name: str,
  type: str,
  nodes: arr(
    obj(
      {
        id: str,
        parallelism: int,
        operator: str,
        operator_strategy: str,
        description: str,
        inputs: arr(obj({ num: int, id: str, ship_strategy: str, exchange: str })),
        optimizer_properties: obj({}),
      },
      ['inputs'],
    ),
  ),
});

export const schemas = {
  savepointTrigger: obj({ 'target-directory': str, 'cancel-job': bool }, ['target-directory', 'cancel-job']),
  stopWithSavepoint: obj({ targetDirectory: str, drain: bool }, ['targetDirectory', 'drain']),
  trigger: obj({ 'request-id': str }),
  savepointInfo: obj(
    {
      status: obj({ id: { type: 'string', enum: ['IN_PROGRESS', 'COMPLETED'] } }),
      operation: obj({ location: str, 'failure-cause': obj({ class: str, 'stack-trace': str }) }, ['location', 'failure-cause']),
    },
    ['operation'],
  ),
  overview: obj({
    taskmanagers: int,
    'slots-total': int,
    'slots-available': int,
    'jobs-running': int,
    'jobs-finished': int,
    'jobs-cancelled': int,
    'jobs-failed': int,
    'flink-version': str,
    'flink-commit': str,
  }),
  dashboardConfig: obj({
    'refresh-interval': int,
    'timezone-name': str,
    'timezone-offset': int,
    'flink-version': str,
    'flink-revision': str,
    features: obj({ 'web-submit': bool, 'web-cancel': bool, 'web-rescale': bool, 'web-history': bool }),
  }),
  jobs: obj({ jobs: arr(obj({ id: str, status: str })) }),
  jobsOverview: obj({
    jobs: arr(
      obj(
        {
          jid: str,
          name: str,
          state: str,
          'start-time': int,
          'end-time': int,
          duration: int,
          'last-modification': int,
          tasks: record(JOB_TASK_COUNT_KEYS, int),
          archived: bool,
        },
        ['archived'],
      ),
    ),
  }),
  jobDetails: obj({
    jid: str,
    name: str,
    isStoppable: bool,
    state: str,
    'job-type': str,
    'start-time': int,
    'end-time': int,
    duration: int,
    maxParallelism: int,
    now: int,
    timestamps: record(JOB_STATUSES, int),
    vertices: arr(
      obj({
        id: str,
        name: str,
        maxParallelism: int,
        parallelism: int,
        status: str,
        'start-time': int,
        'end-time': int,
        duration: int,
        tasks: record(EXECUTION_STATES, int),
        metrics: obj({
          'read-bytes': int,
          'read-bytes-complete': bool,
          'write-bytes': int,
          'write-bytes-complete': bool,
          'read-records': int,
          'read-records-complete': bool,
          'write-records': int,
          'write-records-complete': bool,
          'accumulated-backpressured-time': int,
          'accumulated-idle-time': int,
          'accumulated-busy-time': int,
        }),
      }),
    ),
    'status-counts': record(EXECUTION_STATES, int),
    plan: planSchema,
  }),
  jobStatus: obj({ status: str }),
  jobCheckpoints: (() => {
    const num = { type: 'number' };
    const minMaxAvg = obj({ min: num, max: num, avg: num, p50: num, p90: num, p95: num, p99: num, p999: num });
    const entry: Schema = { type: 'object', additionalProperties: true, required: ['id', 'status'] };
    const nullableEntry: Schema = { type: ['object', 'null'], additionalProperties: true };
    return obj({
      counts: obj({ restored: int, total: int, in_progress: int, completed: int, failed: int }),
      summary: obj({
        checkpointed_size: minMaxAvg,
        state_size: minMaxAvg,
        end_to_end_duration: minMaxAvg,
        alignment_buffered: minMaxAvg,
        processed_data: minMaxAvg,
        persisted_data: minMaxAvg,
      }),
      latest: obj({ completed: nullableEntry, savepoint: nullableEntry, failed: nullableEntry, restored: nullableEntry }),
      history: arr(entry),
    });
  })(),
  jobCheckpointConfig: anyObject,
  jobPlan: obj({ plan: planSchema }),
  jobExceptions: (() => {
    const entryProps: Record<string, Schema> = {
      exceptionName: str,
      stacktrace: str,
      timestamp: int,
      taskName: nullableStr,
      location: nullableStr,
      endpoint: nullableStr,
      taskManagerId: nullableStr,
      failureLabels: { type: 'object', additionalProperties: str },
      code: str,
      message: str,
    };
    const entry = obj({ ...entryProps, concurrentExceptions: arr(obj(entryProps)) });
    return obj({
      'root-exception': nullableStr,
      timestamp: { type: ['integer', 'null'] },
      'all-exceptions': arr(obj({ exception: str, task: nullableStr, location: nullableStr, timestamp: int, taskManagerId: nullableStr })),
      truncated: bool,
      exceptionHistory: obj({ entries: arr(entry), truncated: bool }),
    });
  })(),
  taskManager: obj({
    id: str,
    path: str,
    dataPort: int,
    jmxPort: int,
    timeSinceLastHeartbeat: int,
    slotsNumber: int,
    freeSlots: int,
    hardware: obj({ cpuCores: int, physicalMemory: int, freeMemory: int, managedMemory: int }),
    blocked: bool,
  }),
  configEntries: arr(obj({ key: str, value: str })),
  bundleUpload: obj({ id: str, filename: str, status: str, size: int }),
  blobUpload: obj({ id: str, size: int }),
  bundleList: obj({ address: str, files: arr(obj({ id: str, name: str, uploaded: int, size: int })) }),
  bundleRunResponse: obj({ jobid: str }),
  application: obj({ id: str, status: str, jobs: arr(str), error: str }, ['error']),
  empty: obj({}),
  jobResult: obj(
    {
      status: obj({ id: str }),
      'job-execution-result': obj(
        {
          id: str,
          'application-status': str,
          'net-runtime': int,
          'accumulator-results': obj({}),
          'failure-cause': obj({ class: str, 'stack-trace': str, 'serialized-throwable': str }),
        },
        ['failure-cause'],
      ),
      // The JobResult as it is: collected records are whatever the program collected.
      result: anyObject,
    },
    ['job-execution-result', 'result'],
  ),
};

/** The body of `POST /bundles/:id/run`: structure only; the server checks references between parts. */
export const bundleRunRequestSchema: Schema = obj(
  {
    jobGraph: obj(
      {
        jobName: { type: 'string', maxLength: 1000 },
        type: { enum: ['STREAMING', 'BATCH'] },
        fingerprint: { type: 'string', minLength: 1 },
        vertices: arr(
          obj(
            {
              id: { type: 'string', minLength: 1 },
              name: str,
              parallelism: { type: 'integer', minimum: 1, maximum: 32768 },
              maxParallelism: { type: 'integer', minimum: 1, maximum: 32768 },
              operators: arr(obj({ id: { type: 'string', minLength: 1 }, name: str, type: str }, [], true), { minItems: 1 }),
              inputs: arr(str),
              isSource: bool,
            },
            [],
            true,
          ),
          { minItems: 1, maxItems: 10000 },
        ),
        edges: arr(
          obj(
            {
              id: { type: 'string', minLength: 1 },
              sourceVertex: str,
              sourceOperator: str,
              targetVertex: str,
              targetOperator: str,
              inputIndex: { type: 'integer', minimum: 0 },
              partitioner: { enum: ['forward', 'rebalance', 'rescale', 'broadcast', 'global', 'shuffle', 'hash'] },
            },
            [],
            true,
          ),
        ),
      },
      [],
      true,
    ),
    graphDefaults: obj({
      parallelism: { type: 'integer', minimum: 1 },
      maxParallelism: { type: 'integer', minimum: 1, maximum: 32768 },
      runtimeMode: { enum: ['STREAMING', 'BATCH'] },
    }),
    programArgs: arr(str, { maxItems: 10000 }),
    cwd: { type: 'string', minLength: 1 },
    executionIndex: { type: 'integer', minimum: 0 },
    config: anyObject,
    jobId: { type: 'string', pattern: JOB_ID_PATTERN },
    structuralCheck: bool,
    observed: arr(anyObject, { maxItems: 100000 }),
    observedBlob: { type: 'string', pattern: BUNDLE_ID_PATTERN },
    cachedFiles: arr(
      obj({
        name: { type: 'string', minLength: 1, maxLength: 1000 },
        blobId: { type: 'string', pattern: BUNDLE_ID_PATTERN },
        executable: bool,
        directory: bool,
        fileName: { type: 'string', minLength: 1, maxLength: 1000 },
      }),
      { maxItems: 1000 },
    ),
  },
  ['programArgs', 'cwd', 'executionIndex', 'config', 'jobId', 'structuralCheck', 'observed', 'observedBlob', 'cachedFiles'],
);
