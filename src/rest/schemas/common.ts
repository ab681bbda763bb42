/**
 * What every REST resource shares: the error body, path parameters, and the state names of jobs
 * and subtasks. Each shape is one TypeBox schema; its TypeScript type is `Static<>` of it, and
 * fastify validates requests against the same schema with ajv.
 */
import { Type, type Static, type TSchema } from 'typebox';
import type { JobStatus } from '../../api/job-client.js';
import { ERROR_CODES, type ErrorCode } from '../../errors.js';
import type { ExecutionState } from '../../runtime/rpc/messages.js';

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

export const JOB_ID_PATTERN = '^[0-9a-f]{32}$';
export const BUNDLE_ID_PATTERN = '^[0-9a-f]{64}$';

/** Request bodies name every field they accept: an unknown one is a 400, not silently ignored. */
export const closed = { additionalProperties: false } as const;

/** A string naming one of `values` (serialized as a string). */
export const OneOf = <const V extends string>(values: readonly V[]) => Type.Enum(values, { type: 'string' });

/** `T` or null, as one JSON type list (`["string", "null"]`) rather than an anyOf. */
export const Nullable = <T extends TSchema & { type: string }>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });

/** An object with one property of `value` per key, all required. */
export const Counts = <const K extends string>(keys: readonly K[]) =>
  // TypeBox's Record over a union of literals has no static keys; the object's type says them.
  Type.Unsafe<Record<K, number>>(Type.Object(Object.fromEntries(keys.map((k) => [k, Type.Integer()])), closed));

export const JobStatusSchema = OneOf(JOB_STATUSES);
export const ExecutionStateSchema = OneOf(EXECUTION_STATES);
export const ErrorCodeSchema = OneOf(Object.keys(ERROR_CODES) as ErrorCode[]);

/** Every error response: Flink's `{errors: [...]}`, plus Weir's error code when there is one. */
export const ErrorBodySchema = Type.Object({ errors: Type.Array(Type.String()), code: Type.Optional(ErrorCodeSchema) }, closed);
export type ErrorBody = Static<typeof ErrorBodySchema>;

/** The responses of a route: its success shapes by status, and the error body for every 4xx and 5xx. */
export const withErrors = <R extends Record<number, TSchema>>(ok: R) => ({ ...ok, '4xx': ErrorBodySchema, '5xx': ErrorBodySchema });

/** A job or TaskManager id in the path. */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });
export const BundleIdParams = Type.Object({ id: Type.String({ pattern: BUNDLE_ID_PATTERN }) });

export const EmptySchema = Type.Object({}, closed);
