/** Shapes of bundles and blobs: uploads, the bundle list, and running a bundle's job. */
import { Type, type Static } from 'typebox';
import type { ExecutionRecord } from '../../api/execution-context.js';
import type { JobGraph } from '../../graph/job-graph.js';
import { BUNDLE_ID_PATTERN, closed, JOB_ID_PATTERN } from './common.js';

export const BundleUploadQuery = Type.Object({ name: Type.Optional(Type.String({ maxLength: 1000 })) });

export const BundleUploadResponseSchema = Type.Object({
  /** SHA-256 of the bundle's bytes: what `/bundles/:id/run` takes. */
  id: Type.String(),
  filename: Type.String(),
  status: Type.Literal('success'),
  size: Type.Integer(),
});
export type BundleUploadResponse = Static<typeof BundleUploadResponseSchema>;

/** `POST /blobs/upload`: a distributed cache file's bytes, stored by SHA-256. */
export const BlobUploadResponseSchema = Type.Object({ id: Type.String(), size: Type.Integer() });
export type BlobUploadResponse = Static<typeof BlobUploadResponseSchema>;

/** A stored bundle; `name` is the display name given at upload (never used as a path). */
export const BundleInfoSchema = Type.Object({ id: Type.String(), name: Type.String(), uploaded: Type.Integer(), size: Type.Integer() });
export type BundleInfo = Static<typeof BundleInfoSchema>;

export const BundleListSchema = Type.Object({ address: Type.String(), files: Type.Array(BundleInfoSchema) });
export type BundleList = Static<typeof BundleListSchema>;

const id = Type.String({ minLength: 1 });
/**
 * The job graph's structure, checked by fastify so that a malformed graph is a 400 naming the
 * field. Objects are open: the server then checks the whole graph with the schema the
 * TaskManagers apply to a deployment (runtime/rpc/validate.ts), and only then uses it as a JobGraph.
 */
const JobGraphBodySchema = Type.Unsafe<JobGraph>(
  Type.Object({
    jobName: Type.String({ maxLength: 1000 }),
    type: Type.Enum(['STREAMING', 'BATCH']),
    fingerprint: id,
    vertices: Type.Array(
      Type.Object({
        id,
        name: Type.String(),
        parallelism: Type.Integer({ minimum: 1, maximum: 32768 }),
        maxParallelism: Type.Integer({ minimum: 1, maximum: 32768 }),
        operators: Type.Array(Type.Object({ id, name: Type.String(), type: Type.String() }), { minItems: 1 }),
        inputs: Type.Array(Type.String()),
        isSource: Type.Boolean(),
      }),
      { minItems: 1, maxItems: 10000 },
    ),
    edges: Type.Array(
      Type.Object({
        id,
        sourceVertex: Type.String(),
        sourceOperator: Type.String(),
        targetVertex: Type.String(),
        targetOperator: Type.String(),
        inputIndex: Type.Integer({ minimum: 0 }),
        partitioner: Type.Enum(['forward', 'rebalance', 'rescale', 'broadcast', 'global', 'shuffle', 'hash', 'custom']),
      }),
    ),
  }),
);

/** `POST /bundles/:id/run`: what the client's plan mode produced for one execute(). */
export const BundleRunRequestSchema = Type.Object(
  {
    jobGraph: JobGraphBodySchema,
    graphDefaults: Type.Object(
      {
        parallelism: Type.Integer({ minimum: 1 }),
        maxParallelism: Type.Integer({ minimum: 1, maximum: 32768 }),
        runtimeMode: Type.Enum(['STREAMING', 'BATCH']),
      },
      closed,
    ),
    programArgs: Type.Optional(Type.Array(Type.String(), { maxItems: 10000 })),
    cwd: Type.Optional(Type.String({ minLength: 1 })),
    executionIndex: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Job configuration (the program's and the client's); the cluster's configuration fills the rest. */
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** A job id to use (32 hex digits); a new one otherwise. */
    jobId: Type.Optional(Type.String({ pattern: JOB_ID_PATTERN })),
    /** Slots compare the JobGraph's structure fingerprint only (main() ran from differently compiled code). */
    structuralCheck: Type.Optional(Type.Boolean()),
    /** What main() saw of its earlier executions (results, statuses): slots replaying main() see the same. */
    observed: Type.Optional(Type.Array(Type.Unsafe<ExecutionRecord>({ type: 'object' }), { maxItems: 100000 })),
    /** The same, stored content-addressed first with `POST /blobs/upload` (large results): its blob id. */
    observedBlob: Type.Optional(Type.String({ pattern: BUNDLE_ID_PATTERN })),
    /** Distributed cache files, uploaded first with `POST /blobs/upload`. */
    cachedFiles: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 1000 }),
            blobId: Type.String({ pattern: BUNDLE_ID_PATTERN }),
            executable: Type.Boolean(),
            directory: Type.Boolean(),
            fileName: Type.String({ minLength: 1, maxLength: 1000 }),
          },
          closed,
        ),
        { maxItems: 1000 },
      ),
    ),
  },
  closed,
);
export type BundleRunRequest = Static<typeof BundleRunRequestSchema>;

export const BundleRunResponseSchema = Type.Object({ jobid: Type.String() });
export type BundleRunResponse = Static<typeof BundleRunResponseSchema>;

/**
 * `POST /bundles/:id/run-program`: main() runs in the JobManager, as with Flink's
 * `POST /jars/:jarid/run` (whose field names these are); its jobs run detached.
 */
export const ProgramRunRequestSchema = Type.Object(
  {
    programArgsList: Type.Optional(Type.Array(Type.String({ maxLength: 100000 }), { maxItems: 10000 })),
    parallelism: Type.Optional(Type.Integer({ minimum: 1, maximum: 32768 })),
    savepointPath: Type.Optional(Type.String({ minLength: 1, maxLength: 10000 })),
    allowNonRestoredState: Type.Optional(Type.Boolean()),
  },
  closed,
);
export type ProgramRunRequest = Static<typeof ProgramRunRequestSchema>;

/** The first job main() submitted (Flink's field) and all of them, in order. */
export const ProgramRunResponseSchema = Type.Object({ jobid: Type.String(), jobids: Type.Array(Type.String()) });
export type ProgramRunResponse = Static<typeof ProgramRunResponseSchema>;
