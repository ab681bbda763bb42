/**
 * The table of every configuration option Weir knows: key, type, default and a one-line
 * description. A key not in this table is rejected wherever it appears (conf/config.yaml, -D,
 * code), so adding an option means adding a row here; docs/configuration.md is generated from
 * this table (`npx tsx scripts/gen-config-docs.ts`) and a test fails when it is stale.
 * Keys are Flink's where the concept is the same. Defaults are written as a user would write
 * them in config.yaml ('100 ms', '32 kb') and parsed by the same code that parses user values.
 */
import { KUBERNETES_OPTIONS } from './options-kubernetes.js';
import { KUBERNETES_OPERATOR_OPTIONS } from './options-kubernetes-operator.js';
import { CHECKPOINTING_OPTIONS } from './options-checkpointing.js';
import { FAILOVER_OPTIONS } from './options-failover.js';
import { FILE_SYSTEM_OPTIONS } from './options-fs.js';
import { HA_OPTIONS } from './options-ha.js';
import { METRICS_OPTIONS } from './options-metrics.js';

/** How an option's value is written and what `Configuration.get` returns for it. */
export type OptionType = 'string' | 'integer' | 'number' | 'boolean' | 'duration' | 'memory-size' | 'enum' | 'list';

/** The value type `Configuration.get` returns per option type: durations in ms, memory sizes in bytes. */
export interface OptionTypeValues {
  string: string;
  integer: number;
  number: number;
  boolean: boolean;
  duration: number;
  'memory-size': number;
  enum: string;
  list: readonly string[];
}

export interface OptionSpec {
  readonly type: OptionType;
  readonly description: string;
  /** Written as in config.yaml; absent means "not set" (`get` returns undefined). */
  readonly default?: string | number | boolean | readonly string[];
  /** What the docs show when there is no default, e.g. "derived from ...". */
  readonly defaultDescription?: string;
  /** The allowed values of an enum, in their canonical spelling (matching ignores case and -/_). */
  readonly values?: readonly string[];
  /** Inclusive bounds of an integer, number, duration (ms) or memory size (bytes). */
  readonly min?: number;
  readonly max?: number;
  /** Extra validation of a parsed value: returns what was expected when the value is wrong. */
  readonly check?: (value: never) => string | undefined;
  /** Never shown unredacted by the REST API, the dashboard or logs. */
  readonly secret?: boolean;
  /**
   * The feature this option configures when that feature is not built yet: setting the option is
   * rejected at start (`assertOptionsAvailable`) instead of being accepted and ignored.
   */
  readonly unavailable?: string;
}

const PORT = { min: 0, max: 65535 } as const;

export const OPTIONS = {
  // ---- execution ---------------------------------------------------------------------------
  'execution.target': {
    type: 'enum',
    values: [
      'local',
      'remote',
      'process-session',
      'process-per-job',
      'process-application',
      'kubernetes-session',
      'kubernetes-application',
    ],
    default: 'local',
    description: 'Where a program runs: an embedded mini-cluster, a running session cluster, or a cluster a provider starts (CLI -t).',
  },
  'execution.runtime-mode': {
    type: 'enum',
    values: ['STREAMING', 'BATCH'],
    default: 'STREAMING',
    description: 'Runtime mode of the job: STREAMING, or BATCH for bounded inputs.',
  },
  'execution.buffer-timeout': {
    type: 'duration',
    default: '100 ms',
    description: 'Longest time a partly filled network buffer waits before it is flushed; 0 flushes after every record.',
  },
  'execution.attached': {
    type: 'boolean',
    default: true,
    description: 'Whether the client waits for the job to end and shows its progress (weir run -d sets false).',
  },
  'execution.shutdown-on-application-finish': {
    type: 'boolean',
    default: true,
    description: "Whether an Application cluster shuts down when the application's main() returns and its jobs end.",
  },
  'execution.savepoint.path': {
    type: 'string',
    description: 'Savepoint or retained checkpoint to restore the job from (CLI -s).',
  },
  'execution.savepoint.ignore-unclaimed-state': {
    type: 'boolean',
    default: false,
    description: 'Whether a restore may skip savepoint state that no operator of the new job claims.',
  },

  // ---- pipeline ----------------------------------------------------------------------------
  'parallelism.default': {
    type: 'integer',
    default: 1,
    min: 1,
    description: 'Parallelism of operators that set none (CLI -p).',
  },
  'pipeline.max-parallelism': {
    type: 'integer',
    default: 128,
    min: 1,
    max: 32768,
    description: 'Number of key groups: the upper bound for rescaling keyed state.',
  },
  'pipeline.auto-watermark-interval': {
    type: 'duration',
    default: '200 ms',
    description: 'How often periodic watermark generators are asked for a watermark; 0 disables periodic watermarks.',
  },
  'pipeline.object-reuse': {
    type: 'boolean',
    default: false,
    description:
      'Whether records passed by reference between tasks in one thread are handed over as they are (true) instead of copied when emitted; set it only when no function changes a record after emitting it or one it received (ExecutionConfig.enableObjectReuse()).',
  },
  'pipeline.name': {
    type: 'string',
    defaultDescription: "the name given to execute(), else 'Weir Job'",
    description: 'Name of the job.',
  },

  // ---- cluster: JobManager, TaskManagers, mini-cluster -------------------------------------
  'jobmanager.rpc.address': {
    type: 'string',
    default: '127.0.0.1',
    description: 'Address TaskManagers and clients use to reach the JobManager.',
  },
  'jobmanager.rpc.port': {
    type: 'integer',
    default: 6123,
    ...PORT,
    description: 'Port of the JobManager for TaskManager and client connections.',
  },
  'jobmanager.archive.dir': {
    type: 'string',
    description:
      'Directory where the JobManager archives every job that ends (FINISHED, FAILED, CANCELED), one folder per job id; a JobManager with the same directory shows the archived jobs in its REST API and `weir list --all`. Not set: no archiving.',
  },
  'taskmanager.numberOfTaskSlots': {
    type: 'integer',
    default: 1,
    min: 1,
    description: 'Task slots each TaskManager offers; each slot runs its subtasks in one worker thread.',
  },
  'taskmanager.slot.warm-pool.size': {
    type: 'integer',
    min: 0,
    max: 1024,
    default: 1,
    description:
      "Slot worker threads a TaskManager process keeps started ahead of jobs (Node started, engine imported), so a job deployed to a slot only imports its own bundle. Each warm worker serves one job attempt and slot and ends with it (a job's code never outlives its job); the pool refills in the background. 0 starts every slot worker on deployment; the number of slots suits TaskManagers that run jobs across all their slots. Not used by the local mini-cluster of `weir run` in local mode.",
  },
  'taskmanager.host': {
    type: 'string',
    defaultDescription: 'the address the TaskManager reaches the JobManager from',
    description: 'Address other TaskManagers use to reach this TaskManager for data exchange.',
  },
  'taskmanager.data.port': {
    type: 'integer',
    default: 0,
    ...PORT,
    description: 'Port a TaskManager listens on for data exchange; 0 picks a free port.',
  },
  'taskmanager.network.memory.buffer-size': {
    type: 'memory-size',
    default: '32 kb',
    min: 1024,
    description: 'Size of a network buffer: records leave a thread as batches of this size.',
  },
  'taskmanager.network.memory.buffers-per-channel': {
    type: 'integer',
    default: 2,
    min: 1,
    description: 'Exclusive buffers (initial credits) of each input channel.',
  },
  'taskmanager.network.memory.max-buffers-per-channel': {
    type: 'integer',
    default: 10,
    min: 1,
    description: 'Most buffers one output channel may hold before its writer is backpressured.',
  },
  'taskmanager.network.in-thread-by-reference': {
    type: 'boolean',
    default: true,
    description:
      'Whether a channel whose producer and consumer subtasks run in the same slot thread passes batches of records by reference instead of serialised buffers (same credits, order and events).',
  },
  'minicluster.number-of-taskmanagers': {
    type: 'integer',
    default: 1,
    min: 1,
    description: "TaskManagers of the embedded mini-cluster (execution.target 'local').",
  },
  'resourcemanager.taskmanager-timeout': {
    type: 'duration',
    default: '30 s',
    description: 'How long an active provider keeps an idle TaskManager before stopping it.',
  },
  'slot.request.timeout': {
    type: 'duration',
    default: '5 min',
    min: 1,
    description: 'How long a job waits for the task slots it needs (TaskManagers registering or being started) before it fails.',
  },
  'task.setup.timeout': {
    type: 'duration',
    default: '2 min',
    min: 1,
    description: 'How long a source or sink may take to set up (create directories, open files, connect) before its task fails.',
  },
  'taskmanager.resource-id': {
    type: 'string',
    defaultDescription: 'host:port of the data plane and a random suffix',
    description: 'Id the TaskManager registers with; a resource provider sets it for the TaskManagers it starts.',
  },
  'taskmanager.registration.timeout': {
    type: 'duration',
    default: '5 min',
    min: 1,
    description: 'A TaskManager that has not been registered at a JobManager for this long (at start or after losing it) exits.',
  },
  'process.working-dir': {
    type: 'string',
    defaultDescription: '<tmp>/weir-process',
    description: 'Where the process provider creates the working directory of each cluster it starts.',
  },
  'process.cluster-id': {
    type: 'string',
    defaultDescription: 'generated per cluster',
    description: 'Id of a cluster the process provider starts: its working directory, and the base of application job ids.',
  },
  ...KUBERNETES_OPTIONS,
  ...KUBERNETES_OPERATOR_OPTIONS,
  'heartbeat.interval': {
    type: 'duration',
    default: '10 s',
    min: 1,
    description: 'How often the JobManager and TaskManagers send each other heartbeats.',
  },
  'heartbeat.timeout': {
    type: 'duration',
    default: '50 s',
    min: 1,
    description: 'Time without a heartbeat after which a TaskManager or JobManager is considered lost.',
  },

  // ---- REST API and dashboard --------------------------------------------------------------
  'rest.address': {
    type: 'string',
    defaultDescription: 'jobmanager.rpc.address',
    description: 'Address clients use to reach the REST API.',
  },
  'rest.bind-address': {
    type: 'string',
    default: '127.0.0.1',
    description: 'Address the REST server binds to; a non-loopback address requires security.rest.token or mutual TLS.',
  },
  'rest.port': {
    type: 'integer',
    default: 8081,
    ...PORT,
    description: 'Port of the REST API and dashboard; 0 picks a free port.',
  },
  'rest.upload.max-size': {
    type: 'memory-size',
    default: '100 mb',
    min: 1,
    description: 'Largest program bundle or distributed cache file (registerCachedFile) the REST API accepts.',
  },
  'rest.request.timeout': {
    type: 'duration',
    default: '5 min',
    min: 1,
    description:
      'How long a client may take to send a whole request (headers and body) before the REST API answers 408 and closes the connection.',
  },

  // ---- failover, checkpointing and state (options-failover.ts, options-checkpointing.ts)
  ...FAILOVER_OPTIONS,
  ...CHECKPOINTING_OPTIONS,

  // ---- file systems, high availability, metrics (options-fs.ts, options-ha.ts, options-metrics.ts)
  ...FILE_SYSTEM_OPTIONS,
  ...HA_OPTIONS,
  ...METRICS_OPTIONS,

  // ---- security ----------------------------------------------------------------------------
  'security.rest.token': {
    type: 'string',
    secret: true,
    description: 'Bearer token the REST API requires (required when rest.bind-address is not loopback).',
  },
  'security.cluster.secret': {
    type: 'string',
    secret: true,
    description: 'Shared secret that JobManager and TaskManagers authenticate each other with.',
  },

  // ---- logging -----------------------------------------------------------------------------
  'env.log.dir': {
    type: 'string',
    description:
      "Directory of this process's log files, listed by the REST API (`/jobmanager/logs`, `/taskmanagers/:id/logs`) and served by file name. `weir cluster start` sets it to its --log-dir. Not set: no log file is listed.",
  },
  'weir.log.level': {
    type: 'enum',
    values: ['error', 'warn', 'info', 'debug'],
    default: 'info',
    description: 'Least severe log level written by Weir processes.',
  },
} as const satisfies Record<string, OptionSpec>;

/** Every known configuration key. */
export type OptionKey = keyof typeof OPTIONS;

type Spec<K extends OptionKey> = (typeof OPTIONS)[K];
type BaseValue<S> = S extends { type: 'enum'; values: readonly (infer E)[] }
  ? E
  : S extends { type: infer T extends OptionType }
    ? OptionTypeValues[T]
    : never;

/** What `Configuration.get(key)` returns: the parsed value, or undefined for an unset option without default. */
export type OptionValue<K extends OptionKey> = Spec<K> extends { default: unknown } ? BaseValue<Spec<K>> : BaseValue<Spec<K>> | undefined;

/** The keys whose options have type T, e.g. `KeysOfType<'duration'>`. */
export type KeysOfType<T extends OptionType> = { [K in OptionKey]: Spec<K>['type'] extends T ? K : never }[OptionKey];

export const OPTION_KEYS: readonly OptionKey[] = Object.keys(OPTIONS) as OptionKey[];

export function isOptionKey(key: string): key is OptionKey {
  return Object.prototype.hasOwnProperty.call(OPTIONS, key);
}

export function optionSpec(key: OptionKey): OptionSpec {
  return OPTIONS[key];
}

/**
 * Flink keys Weir spells differently (Flink's older names, or a Flink concept Weir names after its
 * own mechanism). An unknown key found here is reported with its Weir name.
 */
export const RENAMED_KEYS: Readonly<Record<string, OptionKey>> = {
  'restart-strategy': 'restart-strategy.type',
  'state.backend': 'state.backend.type',
  'high-availability': 'high-availability.type',
  'state.checkpoints.dir': 'execution.checkpointing.dir',
  'state.savepoints.dir': 'execution.checkpointing.savepoint-dir',
  'state.checkpoints.num-retained': 'execution.checkpointing.num-retained',
  'execution.buffer-timeout.interval': 'execution.buffer-timeout',
  'taskmanager.memory.segment-size': 'taskmanager.network.memory.buffer-size',
  'jobmanager.archive.fs.dir': 'jobmanager.archive.dir',
  'rest.bind-port': 'rest.port',
};

/** Whether a key's value must be redacted when shown: marked secret, or named like one. */
export function isSecretKey(key: string): boolean {
  const spec = isOptionKey(key) ? (OPTIONS[key] as OptionSpec) : undefined;
  return spec?.secret === true || /(secret|password|token|credential)/i.test(key);
}

/** Keys about where and how the client runs, not about the job, though under execution.*. */
const CLIENT_EXECUTION_KEYS = new Set(['execution.target', 'execution.attached', 'execution.shutdown-on-application-finish']);

/**
 * Whether a key configures a job (and so may be set by the client that submits it to a running
 * cluster): parallelism.default, pipeline.*, execution.* (but for the client's own execution.target,
 * execution.attached, execution.shutdown-on-application-finish), restart-strategy.*, state.*. Other
 * keys (rest.*, jobmanager.*, taskmanager.*, heartbeat.*, ...) belong to the cluster's processes.
 */
export function isJobKey(key: string): boolean {
  if (key === 'parallelism.default') return true;
  if (key.startsWith('execution.')) return !CLIENT_EXECUTION_KEYS.has(key);
  return key.startsWith('pipeline.') || key.startsWith('restart-strategy.') || key.startsWith('state.');
}
