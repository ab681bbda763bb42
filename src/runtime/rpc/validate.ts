/**
 * Checks what arrives at a boundary against the declarations of messages.ts, with ajv: each
 * schema is compiled once, on first use. A frame decoded from a socket is `unknown` until its
 * schema accepts it; a rejected message names the first field that is wrong (`message.slots must
 * be an integer in [1, 65536]`), and the transport closes the connection with that reason. Objects
 * may carry extra fields (they are ignored); a field whose value is undefined counts as absent.
 */
import { MessagePort } from 'node:worker_threads';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Type, type Static, type TSchema } from 'typebox';
import { JobGraph } from '../../graph/graph-schema.js';
import {
  BlobChunk,
  ClientRpc,
  ClusterOverview,
  Cwd,
  DataPlaneMessage,
  Frame,
  JobDeployment,
  JobManagerRpc,
  ProgramArgs,
  RegistrationResponse,
  TaskManagerInspection,
  TaskManagerRpc,
  ToJobManager,
  ToJobManagerRpcPort,
  ToTaskManager,
  UnreadableSubmitTask,
} from './messages.js';
import type { Schema } from './checker.js';

export { isValid, validate, type Schema } from './checker.js';

const CLASSES: Record<string, abstract new (...args: never[]) => unknown> = { Uint8Array, MessagePort };

// The schemas are ours (built by TypeBox, compiled by the tests): checking them against the JSON
// Schema meta-schema and optimising the generated code would double the time a compile takes.
const ajv = new Ajv({
  discriminator: true,
  verbose: true,
  allErrors: false,
  strictTuples: false,
  validateSchema: false,
  code: { optimize: false },
});
ajv.addKeyword({
  keyword: 'instanceOf',
  schemaType: 'string',
  validate: (cls: string, data: unknown) => data instanceof CLASSES[cls]!,
  errors: false,
});
ajv.addKeyword({ keyword: 'mustBe', schemaType: 'string' });

/** A check of `s`; ajv compiles it on first use. */
export function compile<S extends TSchema>(s: S): Schema<Static<S>> {
  let fn: ValidateFunction | undefined;
  return {
    schema: s,
    check(v, path) {
      fn ??= ajv.compile(s);
      return fn(v) ? undefined : describe(fn.errors ?? [], v, path);
    },
  };
}

type Json = Record<string, unknown>;

/** The first error, as `<path> <what is wrong>`; paths use `.field` and `[index]`. */
function describe(errors: ErrorObject[], root: unknown, base: string): string {
  let e = errors[0];
  if (!e) return `${base} is not valid`;
  // A failed union (anyOf): its last variant's first error (Nullable puts null first).
  const last = errors[errors.length - 1]!;
  if (last.keyword === 'anyOf') {
    const variants = (last.schema as unknown[]).length;
    e = errors.find((x) => x.schemaPath.startsWith(`${last.schemaPath}/${variants - 1}/`)) ?? last;
  }
  const p = fieldPath(root, e.instancePath, base);
  const ps = (e.parentSchema ?? {}) as Json;
  const params = e.params as Json;
  if (typeof ps.mustBe === 'string') return `${p} must be ${ps.mustBe}`;
  if (ps.type === 'integer' && ['type', 'minimum', 'maximum'].includes(e.keyword)) {
    return `${p} must be an integer in [${String(ps.minimum ?? Number.MIN_SAFE_INTEGER)}, ${String(ps.maximum ?? Number.MAX_SAFE_INTEGER)}]`;
  }
  switch (e.keyword) {
    case 'required':
      return `${p}.${String(params.missingProperty)} is missing`;
    case 'type':
      return `${p} must be ${article(String(params.type))}`;
    case 'maxLength':
      return `${p} is longer than ${String(params.limit)}`;
    case 'minLength':
      return `${p} is shorter than ${String(params.limit)}`;
    case 'maxItems':
      return `${p} has more than ${String(params.limit)} items`;
    case 'maxProperties':
      return `${p} has more than ${String(params.limit)} keys`;
    case 'minimum':
    case 'maximum':
      return `${p} must be ${String(params.comparison)} ${String(params.limit)}`;
    case 'enum':
      return `${p} must be one of ${(params.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
    case 'const':
      return `${p} must be ${JSON.stringify(params.allowedValue)}`;
    case 'not':
      return `${p} is not expected here`;
    case 'instanceOf':
      return `${p} must be ${ps.instanceOf === 'Uint8Array' ? 'binary' : `a ${String(ps.instanceOf)}`}`;
    case 'discriminator': {
      const tags = ((ps.oneOf ?? []) as { properties: Record<string, { const: unknown }> }[]).map(
        (v) => v.properties[String(params.tag)]?.const,
      );
      return `${p}.${String(params.tag)} must be one of ${tags.join(', ')} (got ${JSON.stringify(params.tagValue)?.slice(0, 40)})`;
    }
    default:
      return `${p} ${e.message ?? 'is not valid'}`;
  }
}

function article(type: string): string {
  return type === 'object' || type === 'array' || type === 'integer' ? `an ${type}` : `a ${type}`;
}

/** A JSON pointer into `root` written as `base.field[index].field`. */
function fieldPath(root: unknown, pointer: string, base: string): string {
  if (!pointer) return base;
  let out = base;
  let at: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += Array.isArray(at) ? `[${seg}]` : `.${seg}`;
    at = at !== null && typeof at === 'object' ? (at as Json)[seg] : undefined;
  }
  return out;
}

// ---------------------------------------------------------------- the checks receivers use

export const jobGraphSchema = compile(JobGraph);
export const programArgsSchema = compile(ProgramArgs);
export const cwdSchema = compile(Cwd);
export const jobDeploymentSchema = compile(JobDeployment);
export const toTaskManagerSchema = compile(ToTaskManager);
export const toJobManagerSchema = compile(ToJobManager);
export const taskManagerRpcSchema = compile(TaskManagerRpc);
export const registrationResponseSchema = compile(RegistrationResponse);
export const blobChunkSchema = compile(BlobChunk);
export const taskManagerInspectionSchema = compile(TaskManagerInspection);
export const jobManagerRpcSchema = compile(JobManagerRpc);
export const unreadableSubmitTaskSchema = compile(UnreadableSubmitTask);
export const clientRpcSchema = compile(ClientRpc);
export const jobManagerRpcPortSchema = compile(ToJobManagerRpcPort);
/** For an end that receives no messages (a tool that only sends requests). */
export const noMessagesSchema = compile(Type.Never());
export const clusterOverviewSchema = compile(ClusterOverview);
export const frameSchema = compile(Frame);
export const dataPlaneSchema = compile(DataPlaneMessage);
