/**
 * Every error a user can hit carries a stable code from this table and a message that says what
 * to do. docs/errors.md lists the same codes; add new ones here and there together.
 */
import type { ErrorContext, SerializedError } from './schema.js';

export const ERROR_CODES = {
  WEIR_BAD_DURATION: 'A duration is neither milliseconds nor a string like 10s.',
  WEIR_CONFIG_UNKNOWN_KEY: 'A configuration key (conf/config.yaml or -D) is not one Weir knows.',
  WEIR_CONFIG_BAD_VALUE: 'A configuration value has the wrong type or is out of range.',
  WEIR_CONFIG_FILE: 'The configuration file cannot be read or parsed.',
  WEIR_CONFIG_UNAVAILABLE: 'A configuration key configures a feature this version of Weir does not provide yet.',
  WEIR_PROGRAM_NOT_FOUND: 'The program file given to weir run/info does not exist.',
  WEIR_PROGRAM_BUNDLE: 'The program could not be bundled (syntax or import error).',
  WEIR_PROGRAM_NO_EXECUTE: 'The program returned without calling execute() or executeAsync().',
  WEIR_EXECUTE_NOT_AWAITED:
    'main() called execute() or executeAsync() but returned before the job was submitted (the call was not awaited).',
  WEIR_PROGRAM_FAILED: "The program's main() threw before or between executions.",
  WEIR_NONDETERMINISTIC_PROGRAM: 'main() built a different pipeline when replayed in a TaskManager slot.',
  WEIR_BAD_PIPELINE: 'The pipeline is malformed (an operator with no input, a bad parallelism, ...).',
  WEIR_INPUT_NOT_FOUND: 'A source path does not exist.',
  WEIR_USER_FUNCTION: 'A user function threw; the job failed.',
  WEIR_JOB_FAILED: 'The job failed.',
  WEIR_JOB_CANCELED: 'The job was cancelled.',
  WEIR_NOT_ENOUGH_SLOTS: 'The cluster has fewer free task slots than the job needs.',
  WEIR_STATE_ACCESS: 'Keyed state or timers were used outside a keyed context.',
  WEIR_CHECKPOINT: 'A checkpoint could not be taken, stored or restored.',
  WEIR_SAVEPOINT: 'A savepoint could not be taken, or a job could not be restored from one.',
  WEIR_CACHED_FILE: 'A file registered with registerCachedFile() is missing, too large, registered twice, or not known.',
  WEIR_CLUSTER_DEPLOYMENT: 'A resource provider could not start a cluster process (JobManager or TaskManager).',
  WEIR_KUBERNETES:
    'The Kubernetes API server could not be reached or refused a request (kubeconfig, RBAC, a cluster id in use or not found), or a pod template or application bundle was refused.',
  WEIR_OPERATOR:
    'A WeirDeployment cannot be reconciled: its spec is invalid, its bundle cannot be read, or its job failed to deploy, upgrade or run.',
  WEIR_IO: 'A file or directory a job reads or writes cannot be created, read or written (permission, read-only file system, disk full).',
  WEIR_SETUP_TIMEOUT: 'A source or sink did not finish setting up within task.setup.timeout.',
  WEIR_JOBMANAGER_LOST:
    'The connection to the JobManager was lost (it stopped, crashed or is unreachable): a TaskManager lost it, or an attached client lost the JobManager running its job.',
  WEIR_METRICS_REPORTER: 'A metrics reporter could not start (no free port in its range, a file it cannot write, a missing setting).',
  WEIR_CONNECTOR_CONFIG: 'A connector (Kafka, NATS) was built with a missing or bad setting (servers, topic, offsets, guarantee).',
  WEIR_CONNECTOR_FAILED:
    'A connector could not talk to its external system (broker unreachable, a fenced or expired transaction, a missing stream).',
  WEIR_HA:
    'The high-availability services failed: etcd or ZooKeeper unreachable, high-availability.storageDir missing or unwritable, or no leading JobManager found in time.',
  WEIR_HA_FENCED: 'A JobManager that is no longer the leader tried to change the HA stores or command a TaskManager; it was refused.',
  WEIR_CLI_USAGE: 'The weir command was called with bad arguments.',
  WEIR_JOBMANAGER_UNREACHABLE: 'No JobManager answers at the address a command was given (it is not running, or the address is wrong).',
  WEIR_ITERATION_UNSUPPORTED:
    'DataStream.iterate() was called: streaming iterations are deprecated in Flink 1.19 and removed in Flink 2.0, and Weir does not provide them.',
  WEIR_UNREGISTERED_CLASS: 'A record or state value is an instance of a class the program did not register with env.registerType(Class).',
  WEIR_UNSUPPORTED_API: "A program called a method of Flink's DataStream API that Weir does not support.",
  WEIR_INTERNAL: 'An internal engine error.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable code; `context` names the job, operator and subtask where it applies. */
export class WeirError extends Error {
  override name = 'WeirError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// Declared as schemas (src/schema.ts): errors cross threads, processes and the REST API.
export type { ErrorContext, SerializedError };

export function serializeError(e: unknown, fallbackCode: ErrorCode = 'WEIR_INTERNAL', context: ErrorContext = {}): SerializedError {
  if (e instanceof WeirError) {
    const out: SerializedError = { code: e.code, message: e.message, name: e.name, context: { ...context, ...e.context } };
    if (e.stack) out.stack = e.stack;
    if (e.cause !== undefined) out.cause = describeCause(e.cause);
    return out;
  }
  const cause = describeCause(e);
  const out: SerializedError = { code: fallbackCode, message: cause.message, name: cause.name, context, cause };
  if (cause.stack) out.stack = cause.stack;
  return out;
}

function describeCause(e: unknown): { name: string; message: string; stack?: string } {
  if (e instanceof Error) {
    const d: { name: string; message: string; stack?: string } = { name: e.name, message: e.message };
    if (e.stack) d.stack = e.stack;
    return d;
  }
  return { name: 'Error', message: String(e) };
}

export function deserializeError(s: SerializedError): WeirError {
  const err = new WeirError(s.code, s.message, s.context);
  if (s.stack) err.stack = s.stack;
  if (s.cause) (err as { cause?: unknown }).cause = s.cause;
  return err;
}

/** A one-line description a CLI prints: code, message, and where it happened. */
export function describeError(e: WeirError | SerializedError): string {
  const c = e.context;
  const where: string[] = [];
  if (c.operator) where.push(`operator '${c.operator}'`);
  // Subtasks are shown 1-based, as Flink shows task names: (1/2), (2/2).
  if (c.subtask !== undefined) where.push(`subtask ${c.subtask + 1}${c.parallelism ? `/${c.parallelism}` : ''}`);
  if (c.jobName) where.push(`job '${c.jobName}'`);
  return `${e.message}${where.length ? ` (${where.join(', ')})` : ''} [${e.code}]`;
}
