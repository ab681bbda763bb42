/**
 * What the HA services keep in etcd / ZooKeeper, one TypeBox schema each (other processes, and
 * later versions, read them): checked when read, so a foreign or damaged value is a clear error.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Check, Errors } from 'typebox/value';
import { WeirError } from '../errors.js';

/** The leader's information, published by leader election and read by leader retrieval. */
export const LeaderInfo = Type.Object({
  /** The leader session id: the fencing token on every message of this leadership. */
  sessionId: Type.String({ minLength: 1, maxLength: 100 }),
  /** host:port TaskManagers register at. */
  rpcAddress: Type.String({ maxLength: 300 }),
  /** The REST API's base URL. */
  restUrl: Type.String({ maxLength: 300 }),
  pid: Type.Integer(),
});
export type LeaderInfo = Static<typeof LeaderInfo>;

/** An execution plan's pointer: where its submission is stored in storageDir. */
export const PlanPointer = Type.Object({ jobId: Type.String(), path: Type.String() });

/** A completed checkpoint's pointer: its metadata lives in the checkpoint directory. */
export const CheckpointPointer = Type.Object({
  checkpointId: Type.Integer({ minimum: 0 }),
  /** The checkpoint's directory (its _metadata file inside). */
  path: Type.String(),
  timestamp: Type.Number(),
});
export type CheckpointPointer = Static<typeof CheckpointPointer>;

/** A job result store entry: dirty until the job's cleanup ran, then clean. */
export const JobResultEntry = Type.Object({
  jobId: Type.String(),
  state: Type.Union([Type.Literal('dirty'), Type.Literal('clean')]),
  status: Type.Union([Type.Literal('FINISHED'), Type.Literal('FAILED'), Type.Literal('CANCELED')]),
  jobName: Type.String(),
  startTime: Type.Number(),
  endTime: Type.Number(),
  /** The error of a failed job, as the REST API shows it. */
  error: Type.Optional(Type.Unknown()),
  /** The job's accumulators, so that an application's main() re-run by a new leader sees what execute() returned. */
  accumulators: Type.Optional(Type.Unknown()),
});
export type JobResultEntry = Static<typeof JobResultEntry>;

export function encodeRecord(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

export function decodeRecord<S extends TSchema>(schema: S, bytes: Buffer, what: string): Static<S> {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new WeirError('WEIR_HA', `${what} is not JSON`);
  }
  if (!Check(schema, v)) {
    const first = [...Errors(schema, v)][0];
    throw new WeirError('WEIR_HA', `${what} is malformed${first ? `: ${first.instancePath || '/'} ${first.message}` : ''}`);
  }
  return v as Static<S>;
}
