/**
 * Schema checks for every message that crosses a process boundary (messages.ts). A frame decoded
 * from a socket is `unknown` until its schema accepts it; a rejected message names the first field
 * that is wrong, and the transport closes the connection with that reason. Objects may carry extra
 * fields (they are ignored); every field the receiver reads is checked.
 */
import { ERROR_CODES, type SerializedError } from '../../errors.js';
import type { JobGraph } from '../../graph/job-graph.js';
import type { Frame } from '../network/events.js';
import type {
  BlobChunk,
  ClientRpc,
  ClusterOverview,
  DataPlaneMessage,
  JobDeployment,
  JobManagerRpc,
  RegistrationResponse,
  TaskManagerRpc,
  ToJobManager,
  ToTaskManager,
} from './messages.js';

/** Returns undefined when `v` is valid, else what is wrong with it (naming `path`). */
export type Check = (v: unknown, path: string) => string | undefined;

export interface Schema<T> {
  readonly check: Check;
  /** Type-level only. */
  readonly _type?: T;
}

const schema = <T>(check: Check): Schema<T> => ({ check });

/** What is wrong with `v`, or undefined when `s` accepts it. */
export function validate<T>(s: Schema<T>, v: unknown, path = 'message'): string | undefined {
  try {
    return s.check(v, path);
  } catch (e) {
    return `${path} could not be checked: ${e instanceof Error ? e.message : String(e)}`;
  }
}

export function isValid<T>(s: Schema<T>, v: unknown): v is T {
  return validate(s, v) === undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

const MAX_STRING = 1 << 20;

export const str = (max = MAX_STRING): Schema<string> =>
  schema((v, p) => (typeof v !== 'string' ? `${p} must be a string` : v.length > max ? `${p} is longer than ${max}` : undefined));

/** A name that may be part of a worker address or a path segment: no '/', no control characters. */
export const ident = (max = 200): Schema<string> =>
  schema((v, p) =>
    typeof v === 'string' && v.length > 0 && v.length <= max && /^[\w.:@+-]+$/.test(v)
      ? undefined
      : `${p} must be a name of letters, digits and . : @ + - _ (at most ${max})`,
  );

export const hex64: Schema<string> = schema((v, p) =>
  typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? undefined : `${p} must be 64 lowercase hex digits`,
);

export const num: Schema<number> = schema((v, p) => (typeof v === 'number' && !Number.isNaN(v) ? undefined : `${p} must be a number`));

export const int = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Schema<number> =>
  schema((v, p) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? undefined : `${p} must be an integer in [${min}, ${max}]`,
  );

export const bool: Schema<boolean> = schema((v, p) => (typeof v === 'boolean' ? undefined : `${p} must be a boolean`));

export const bytes: Schema<Uint8Array> = schema((v, p) => (v instanceof Uint8Array ? undefined : `${p} must be binary`));

export const any: Schema<unknown> = schema(() => undefined);

export const lit = <const L extends readonly (string | number | boolean)[]>(...values: L): Schema<L[number]> =>
  schema((v, p) =>
    values.includes(v as L[number]) ? undefined : `${p} must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`,
  );

export const arr = <T>(item: Schema<T>, max = 1_000_000): Schema<T[]> =>
  schema((v, p) => {
    if (!Array.isArray(v)) return `${p} must be an array`;
    if (v.length > max) return `${p} has more than ${max} items`;
    for (let i = 0; i < v.length; i++) {
      const e = item.check(v[i], `${p}[${i}]`);
      if (e) return e;
    }
    return undefined;
  });

export const rec = <T>(value: Schema<T>, max = 100_000): Schema<Record<string, T>> =>
  schema((v, p) => {
    if (!isPlainObject(v)) return `${p} must be an object`;
    const keys = Object.keys(v);
    if (keys.length > max) return `${p} has more than ${max} keys`;
    for (const k of keys) {
      const e = value.check(v[k], `${p}.${k}`);
      if (e) return e;
    }
    return undefined;
  });

type Shape = Record<string, Schema<unknown>>;
type Out<S extends Shape> = { [K in keyof S]: S[K] extends Schema<infer T> ? T : never };

/** An object with `required` fields and `optional` ones (absent or undefined). */
export const obj = <R extends Shape, O extends Shape = Record<never, never>>(required: R, optional?: O): Schema<Out<R> & Partial<Out<O>>> =>
  schema((v, p) => {
    if (!isPlainObject(v)) return `${p} must be an object`;
    for (const [k, s] of Object.entries(required)) {
      if (!(k in v)) return `${p}.${k} is missing`;
      const e = s.check(v[k], `${p}.${k}`);
      if (e) return e;
    }
    for (const [k, s] of Object.entries(optional ?? {})) {
      if (v[k] === undefined) continue;
      const e = s.check(v[k], `${p}.${k}`);
      if (e) return e;
    }
    return undefined;
  });

/** A union discriminated by the string field `key`. */
export const tagged = <T>(key: string, cases: Record<string, Schema<unknown>>): Schema<T> =>
  schema((v, p) => {
    if (!isPlainObject(v)) return `${p} must be an object`;
    const tag = v[key];
    if (typeof tag !== 'string' || !Object.prototype.hasOwnProperty.call(cases, tag)) {
      return `${p}.${key} must be one of ${Object.keys(cases).join(', ')} (got ${JSON.stringify(tag)?.slice(0, 40)})`;
    }
    return cases[tag]!.check(v, p);
  });

// ---------------------------------------------------------------- engine types

const name = str(10_000);

export const serializedErrorSchema: Schema<SerializedError> = obj(
  {
    code: schema((v, p) => (typeof v === 'string' && v in ERROR_CODES ? undefined : `${p} must be a Weir error code`)),
    message: str(),
    name: str(1000),
    context: obj({}, { jobId: name, jobName: name, operator: name, subtask: int(0), parallelism: int(1) }),
  },
  { stack: str(), cause: obj({ name: str(1000), message: str() }, { stack: str() }) },
) as Schema<SerializedError>;

const taskMetricsSchema = obj({ numRecordsIn: num, numRecordsOut: num, numBytesIn: num, numBytesOut: num, backPressuredTimeMs: num });

const executionState = lit('CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED');

const jobId = ident(128);
const checkpointingMode = lit('EXACTLY_ONCE', 'AT_LEAST_ONCE');
const checkpointId = int(1);
const attempt = int(0);
const subtask = int(0, 1 << 20);

const jobOperatorSchema = obj(
  {
    id: ident(),
    name,
    type: str(100),
    description: str(),
    keyed: bool,
    chainedOutputs: arr(obj({ target: ident(), inputIndex: int(0) }, { tag: str(1000) })),
    networkOutputs: arr(ident()),
  },
  { uid: name },
);

export const jobGraphSchema: Schema<JobGraph> = obj({
  jobName: name,
  type: lit('STREAMING', 'BATCH'),
  fingerprint: str(200),
  structureFingerprint: str(200),
  vertices: arr(
    obj({
      id: ident(),
      name,
      parallelism: int(1, 1 << 20),
      maxParallelism: int(1, 1 << 20),
      operators: arr(jobOperatorSchema, 10_000),
      inputs: arr(ident()),
      isSource: bool,
    }),
    100_000,
  ),
  edges: arr(
    obj(
      {
        id: ident(),
        sourceVertex: ident(),
        sourceOperator: ident(),
        targetVertex: ident(),
        targetOperator: ident(),
        inputIndex: int(0),
        partitioner: str(100),
      },
      { tag: str(1000) },
    ),
    100_000,
  ),
}) as Schema<JobGraph>;

/** Fields of a deployment a client submits as given (the REST API checks them with these too). */
export const programArgsSchema = arr(str(), 10_000);
export const cwdSchema = str(10_000);

export const jobDeploymentSchema: Schema<JobDeployment> = obj(
  {
    jobId,
    attempt,
    bundlePath: str(10_000),
    bundleId: hex64,
    programArgs: programArgsSchema,
    cwd: cwdSchema,
    executionIndex: int(0),
    graphDefaults: obj({ parallelism: int(1), maxParallelism: int(1), runtimeMode: lit('STREAMING', 'BATCH') }),
    jobGraph: jobGraphSchema,
    settings: obj(
      {
        runtimeMode: lit('STREAMING', 'BATCH'),
        bufferTimeout: num,
        bufferSize: int(1),
        buffersPerChannel: int(1),
        floatingBuffersPerGate: int(0),
        maxBuffersPerChannel: int(1),
        autoWatermarkInterval: num,
        config: rec(any),
      },
      { checkpointing: obj({ mode: checkpointingMode, jobDir: str(10_000) }) },
    ),
  },
  {
    tmDataAddresses: rec(str(300)),
    structuralCheck: bool,
    cachedFiles: arr(
      obj({ name: str(1000), blobId: hex64, executable: bool, directory: bool, fileName: str(1000), path: str(10_000) }),
      10_000,
    ),
  },
) as Schema<JobDeployment>;

const sourceSplitSchema = obj({ splitId: str(10_000) });

const nullable = <T>(s: Schema<T>): Schema<T | null> => schema((v, p) => (v === null ? undefined : s.check(v, p)));

const taskRestoreSchema = obj({
  checkpointId,
  dir: str(10_000),
  operators: rec(obj({ parallelism: int(1, 1 << 20), maxParallelism: int(1, 1 << 20), files: arr(nullable(str(10_000)), 1 << 20) })),
});

export const toTaskManagerSchema: Schema<ToTaskManager> = tagged('type', {
  submitTask: obj({
    deployment: jobDeploymentSchema,
    slot: int(0, 1 << 16),
    task: obj({ vertexId: ident(), subtask, locations: rec(arr(str(1000))) }, { restore: taskRestoreSchema }),
  }),
  splits: obj({ jobId, attempt, vertexId: ident(), subtask, splits: arr(sourceSplitSchema), noMoreSplits: bool }),
  triggerCheckpoint: obj(
    { jobId, attempt, vertexId: ident(), subtask, checkpointId, timestamp: int(0), mode: checkpointingMode },
    { options: obj({}, { savepoint: bool, stop: bool, drain: bool }) },
  ),
  checkpointNotification: obj({ jobId, attempt, checkpointId, kind: lit('complete', 'abort') }),
  releaseJob: obj({ jobId }, { attempt }),
});

export const toJobManagerSchema: Schema<ToJobManager> = tagged('type', {
  taskState: obj(
    { jobId, attempt, vertexId: ident(), subtask, state: executionState },
    { error: serializedErrorSchema, metrics: taskMetricsSchema },
  ),
  sourceEvent: obj({ jobId, attempt, operatorId: ident(), vertexId: ident(), subtask, event: lit('register', 'request') }),
  collect: obj({ jobId, attempt, collectId: str(1000), values: arr(any) }, { vertexId: ident(), subtask }),
  acknowledgeCheckpoint: obj({
    jobId,
    attempt,
    vertexId: ident(),
    subtask,
    checkpointId,
    handle: obj(
      { file: nullable(ident(300)), size: int(0) },
      { shared: arr(ident(300), 1 << 20), sharedBytes: int(0), uploadedBytes: int(0) },
    ),
    metrics: obj({ syncMs: num, asyncMs: num, alignmentMs: num }),
  }),
  declineCheckpoint: obj({ jobId, attempt, vertexId: ident(), subtask, checkpointId, reason: str(100_000) }),
  endOfData: obj({ jobId, attempt, vertexId: ident(), subtask }),
});

// ---------------------------------------------------------------- RPC connections

export const taskManagerRpcSchema: Schema<TaskManagerRpc> = tagged('type', {
  register: obj(
    { tmId: ident(), slots: int(1, 1 << 16), dataAddress: str(300) },
    { hardware: obj({ cpuCores: int(0), physicalMemory: num, freeMemory: num }) },
  ),
  heartbeat: obj({}),
  report: obj({ msg: toJobManagerSchema }),
  fetchBlob: obj({ blobId: hex64, offset: int(0) }),
});

export const registrationResponseSchema: Schema<RegistrationResponse> = obj({
  type: lit('registered'),
  fencingToken: str(200),
  heartbeatInterval: int(1),
  heartbeatTimeout: int(1),
});

export const blobChunkSchema: Schema<BlobChunk> = obj({ type: lit('blobChunk'), blobId: hex64, size: int(0), offset: int(0), data: bytes });

export const jobManagerRpcSchema: Schema<JobManagerRpc> = tagged('type', {
  toTaskManager: obj({ fencingToken: str(200), msg: toTaskManagerSchema }),
  heartbeat: obj({ fencingToken: str(200) }),
});

/**
 * What a TaskManager needs to fail a submitted task it cannot read: the job, attempt and task. A
 * submitTask that passes this but not jobManagerRpcSchema fails only that task.
 */
export const unreadableSubmitTaskSchema: Schema<{
  type: 'toTaskManager';
  fencingToken: string;
  msg: {
    type: 'submitTask';
    deployment: { jobId: string; attempt: number; jobGraph?: { jobName?: unknown } };
    task: { vertexId: string; subtask: number };
  };
}> = obj({
  type: lit('toTaskManager'),
  fencingToken: str(200),
  msg: obj({
    type: lit('submitTask'),
    deployment: obj({ jobId, attempt }, { jobGraph: obj({}) }),
    task: obj({ vertexId: ident(), subtask }),
  }),
});

export const clientRpcSchema: Schema<ClientRpc> = tagged('type', { clusterOverview: obj({}) });

export const clusterOverviewSchema: Schema<ClusterOverview> = obj({
  type: lit('clusterOverview'),
  taskManagers: arr(obj({ id: ident(), slots: int(0), freeSlots: int(0), dataAddress: str(300) })),
  slotsTotal: int(0),
  slotsAvailable: int(0),
});

// ---------------------------------------------------------------- data plane

const channelEventSchema = tagged('t', {
  wm: obj({ v: num }),
  status: obj({ idle: bool }),
  barrier: obj({ id: checkpointId, timestamp: int(0), mode: checkpointingMode }, { savepoint: bool, stop: bool }),
  eod: obj({}),
  eop: obj({}),
});

export const frameSchema: Schema<Frame> = tagged('k', {
  data: obj({ ch: str(1000), buf: bytes }),
  event: obj({ ch: str(1000), ev: channelEventSchema }),
  credit: obj({ ch: str(1000), n: int(0) }),
});

export const dataPlaneSchema: Schema<DataPlaneMessage> = tagged('type', {
  frames: obj({ from: str(1000), to: str(1000), frames: arr(frameSchema, 100_000) }),
});
