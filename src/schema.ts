/**
 * The building blocks of every message that crosses a thread or process boundary. A message is
 * declared once as a TypeBox schema made of these; its TypeScript type is `Static<>` of that
 * schema, so a sender cannot write a field its receiver does not check. Receivers check what
 * arrives with ajv (runtime/rpc/validate.ts). Declarations only: nothing here compiles or checks.
 *
 * Loading TypeBox costs a few hundred ms of CPU, so only the boundary checks load declaration
 * modules (this one, graph/graph-schema.ts, runtime/rpc/messages.ts); everything else imports their
 * types with `import type`, which costs nothing at run time (a program, a slot thread, `weir run`).
 */
import type { MessagePort } from 'node:worker_threads';
import { Type, type Static, type TEnum, type TObject, type TSchema, type TUnion, type TUnsafe } from 'typebox';
import { ERROR_CODES, type ErrorCode } from './errors.js';

const MAX_STRING = 1 << 20;

/*
 * `mustBe` (an annotation the checker knows) says what a value must be when it is not, in place of
 * the message of the keyword that failed.
 */

export const Str = (max = MAX_STRING) => Type.String({ maxLength: max });

/** A name that may be part of a worker address or a path segment: no '/', no control characters. */
export const Name = (max = 200) =>
  Type.String({
    minLength: 1,
    maxLength: max,
    pattern: '^[\\w.:@+-]+$',
    mustBe: `a name of letters, digits and . : @ + - _ (at most ${max})`,
  });

/** A SHA-256 in hex: the id of a blob. */
export const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$', mustBe: '64 lowercase hex digits' });

/** A safe integer in [min, max]. */
export const Int = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) => Type.Integer({ minimum: min, maximum: max });

/** A number, not NaN or infinite. */
export const Num = Type.Number();

export const Bool = Type.Boolean();

/** Bytes (a Buffer or Uint8Array). */
export const Binary = Type.Unsafe<Uint8Array>({ instanceOf: 'Uint8Array' });

/** The end of a MessageChannel, transferred to a worker thread. */
export const Port = Type.Unsafe<MessagePort>({ instanceOf: 'MessagePort' });

export const List = <T extends TSchema>(item: T, max = 1_000_000) => Type.Array(item, { maxItems: max });

export const Dict = <T extends TSchema>(value: T, max = 100_000) => Type.Record(Type.String(), value, { maxProperties: max });

export const Nullable = <T extends TSchema>(s: T) => Type.Union([Type.Null(), s]);

/** One of the given strings. */
export const OneOf = <const V extends readonly string[]>(...values: V): TEnum<[...V]> => Type.Enum<[...V]>([...values]);

/**
 * A union of objects told apart by the string field `key` (a Literal in every variant): the
 * receiver checks only the variant the tag names, and a wrong tag lists the tags it knows.
 */
export function Tagged<const V extends TObject[]>(key: string, variants: [...V]): TUnsafe<Static<TUnion<V>>> {
  return Type.Unsafe<Static<TUnion<V>>>({ type: 'object', required: [key], discriminator: { propertyName: key }, oneOf: variants });
}

// ---------------------------------------------------------------- shared by every layer

export const CheckpointingMode = OneOf('EXACTLY_ONCE', 'AT_LEAST_ONCE');
export type CheckpointingMode = Static<typeof CheckpointingMode>;

export const ErrorContext = Type.Object({
  jobId: Type.Optional(Str(10_000)),
  jobName: Type.Optional(Str(10_000)),
  operator: Type.Optional(Str(10_000)),
  subtask: Type.Optional(Int(0)),
  parallelism: Type.Optional(Int(1)),
});
export type ErrorContext = Static<typeof ErrorContext>;

/** The shape errors take when they cross threads, processes or the REST API. */
export const SerializedError = Type.Object({
  code: Type.Enum(Object.keys(ERROR_CODES) as ErrorCode[], { mustBe: 'a Weir error code' }),
  message: Str(),
  name: Str(1000),
  stack: Type.Optional(Str()),
  context: ErrorContext,
  /** The user's own error message and stack, when a user function threw. */
  cause: Type.Optional(Type.Object({ name: Str(1000), message: Str(), stack: Type.Optional(Str()) })),
});
export type SerializedError = Static<typeof SerializedError>;
