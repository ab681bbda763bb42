/**
 * The table of every configuration option Weir knows: key, type, default and a one-line
 * description. A key not in this table is rejected wherever it appears (conf/config.yaml, -D,
 * code), so adding an option means adding a row here; docs/configuration.md is generated from
 * this table (`npx tsx scripts/gen-config-docs.ts`) and a test fails when it is stale.
 * Keys are Flink's where the concept is the same. Defaults are written as a user would write
 * them in config.yaml ('100 ms', '32 kb') and parsed by the same code that parses user values.
 */
import { KUBERNETES_OPTIONS } from './options-kubernetes.js';

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

const portRange = (v: string): string | undefined => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v.trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
  return m && lo <= hi && hi <= 65535 ? undefined : "a port or a port range such as '9249' or '9249-9260'";
};

const PORT = { min: 0, max: 65535 } as const;

/** The variables each metric scope may use (Flink's), for the metrics.scope.* checks. */
const SCOPE_VARIABLES: Record<string, string[]> = {
  jm: ['host'],
  'jm-job': ['host', 'job_id', 'job_name'],
  tm: ['host', 'tm_id'],
  'tm-job': ['host', 'tm_id', 'job_id', 'job_name'],
  task: ['host', 'tm_id', 'job_id', 'job_name', 'task_id', 'task_attempt_id', 'task_name', 'task_attempt_num', 'subtask_index'],
};
SCOPE_VARIABLES.operator = [...SCOPE_VARIABLES.task!, 'operator_id', 'operator_name'];

const scopeCheck =
  (category: string) =>
  (v: string): string | undefined => {
    const known = SCOPE_VARIABLES[category]!;
    const bad = (v.match(/<[^>]*>/g) ?? []).find((x) => !known.includes(x.slice(1, -1)));
    return bad === undefined ? undefined : `a scope format using only ${known.map((k) => `<${k}>`).join(', ')} (found ${bad})`;
  };

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
    default: 0,
    description:
      "Slot worker threads a TaskManager process keeps started ahead of jobs (Node started, engine imported), so a job deployed to a slot only imports its own bundle. Each warm worker serves one job attempt and slot and ends with it (a job's code never outlives its job); the pool refills in the background. 0 (the default) starts every slot worker on deployment; the number of slots is the usual choice. Not used by the local mini-cluster of `weir run` in local mode.",
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

  // ---- failover ----------------------------------------------------------------------------
  'restart-strategy.type': {
    type: 'enum',
    values: ['none', 'disable', 'fixed-delay', 'failure-rate', 'exponential-delay'],
    defaultDescription: 'none without checkpointing, exponential-delay with it',
    description: 'How a failed job restarts: none/disable (fail at once), fixed-delay, failure-rate or exponential-delay.',
  },
  'restart-strategy.fixed-delay.attempts': {
    type: 'integer',
    default: 1,
    min: 0,
    description: 'Restarts before a job with the fixed-delay strategy fails.',
  },
  'restart-strategy.fixed-delay.delay': {
    type: 'duration',
    default: '1 s',
    description: 'Delay between two restarts of the fixed-delay strategy.',
  },
  'restart-strategy.failure-rate.max-failures-per-interval': {
    type: 'integer',
    default: 1,
    min: 1,
    description: 'Failures within one interval after which a job with the failure-rate strategy fails.',
  },
  'restart-strategy.failure-rate.failure-rate-interval': {
    type: 'duration',
    default: '1 min',
    min: 1,
    description: 'Interval over which the failure-rate strategy counts failures.',
  },
  'restart-strategy.failure-rate.delay': {
    type: 'duration',
    default: '1 s',
    description: 'Delay between two restarts of the failure-rate strategy.',
  },
  'restart-strategy.exponential-delay.initial-backoff': {
    type: 'duration',
    default: '1 s',
    description: 'First delay of the exponential-delay strategy.',
  },
  'restart-strategy.exponential-delay.max-backoff': {
    type: 'duration',
    default: '1 min',
    description: 'Largest delay of the exponential-delay strategy.',
  },
  'restart-strategy.exponential-delay.backoff-multiplier': {
    type: 'number',
    default: 1.5,
    min: 1,
    description: 'Factor applied to the delay after each failure.',
  },
  'restart-strategy.exponential-delay.reset-backoff-threshold': {
    type: 'duration',
    default: '1 h',
    description: 'Time the job must run without failure for the delay to go back to the initial backoff.',
  },
  'restart-strategy.exponential-delay.jitter-factor': {
    type: 'number',
    default: 0.1,
    min: 0,
    max: 1,
    description: 'Random fraction added to or removed from each delay, so restarts do not all happen at once.',
  },
  'restart-strategy.exponential-delay.attempts-before-reset-backoff': {
    type: 'integer',
    default: 2147483647,
    min: 0,
    description: 'Restarts before the job fails unless the backoff is reset.',
  },

  // ---- checkpointing and state -------------------------------------------------------------
  'execution.checkpointing.interval': {
    type: 'duration',
    min: 1,
    defaultDescription: 'none: checkpointing disabled',
    description: 'Interval between two checkpoints; setting it enables checkpointing.',
  },
  'execution.checkpointing.mode': {
    type: 'enum',
    values: ['EXACTLY_ONCE', 'AT_LEAST_ONCE'],
    default: 'EXACTLY_ONCE',
    description: 'EXACTLY_ONCE aligns barriers at operators with several inputs; AT_LEAST_ONCE does not.',
  },
  'execution.checkpointing.timeout': {
    type: 'duration',
    default: '10 min',
    min: 1,
    description: 'Time after which a checkpoint in progress is aborted.',
  },
  'execution.checkpointing.min-pause': {
    type: 'duration',
    default: '0 ms',
    description: 'Least time between the end of one checkpoint and the start of the next.',
  },
  'execution.checkpointing.max-concurrent-checkpoints': {
    type: 'integer',
    default: 1,
    min: 1,
    description: 'Most checkpoints in progress at the same time.',
  },
  'execution.checkpointing.tolerable-failed-checkpoints': {
    type: 'integer',
    default: 0,
    min: 0,
    description: 'Consecutive checkpoint failures tolerated before the job fails over.',
  },
  'execution.checkpointing.num-retained': {
    type: 'integer',
    default: 1,
    min: 1,
    description: 'Completed checkpoints kept; older ones are deleted.',
  },
  'execution.checkpointing.externalized-checkpoint-retention': {
    type: 'enum',
    values: ['NO_EXTERNALIZED_CHECKPOINTS', 'DELETE_ON_CANCELLATION', 'RETAIN_ON_CANCELLATION'],
    default: 'NO_EXTERNALIZED_CHECKPOINTS',
    description: 'Whether the checkpoints of a job are kept after the job is cancelled.',
  },
  'execution.checkpointing.dir': {
    type: 'string',
    description: 'Where checkpoints are written: a directory or file:// / s3:// URI.',
  },
  'execution.checkpointing.savepoint-dir': {
    type: 'string',
    description: 'Default directory of savepoints when the command gives none.',
  },
  'state.backend.type': {
    type: 'enum',
    values: ['hashmap', 'lsm'],
    default: 'hashmap',
    description: 'Keyed state backend: hashmap (on the heap) or lsm (embedded LSM store, for state larger than memory).',
  },
  'state.backend.incremental': {
    type: 'boolean',
    default: false,
    description:
      'Whether the lsm backend writes incremental checkpoints (only the table files that are new since the last completed checkpoint); otherwise every checkpoint holds the whole state in the canonical format. Savepoints are always canonical.',
  },
  'state.backend.lsm.localdir': {
    type: 'string',
    description:
      "Where the lsm backend keeps its working databases on each TaskManager (one directory per keyed operator subtask, removed when the job's workers end). Default: <tmp>/weir-lsm.",
  },

  // ---- file systems ------------------------------------------------------------------------
  's3.endpoint': {
    type: 'string',
    description:
      'Endpoint of the S3 service for s3:// locations (an S3-compatible store such as SeaweedFS, MinIO or Ceph: http://host:port). Not set: AWS S3 of s3.region.',
  },
  's3.access-key': {
    type: 'string',
    description: 'Access key id for s3:// locations. Not set: the AWS SDK default credential chain (environment, profile, instance role).',
  },
  's3.secret-key': {
    type: 'string',
    secret: true,
    description: 'Secret access key for s3:// locations (with s3.access-key).',
  },
  's3.path.style.access': {
    type: 'boolean',
    default: false,
    description:
      'Address buckets as http://endpoint/bucket/key instead of http://bucket.endpoint/key (most S3-compatible stores need true).',
  },
  's3.region': {
    type: 'string',
    default: 'us-east-1',
    description: 'Region of the S3 service (S3-compatible stores usually accept any).',
  },
  's3.entropy.key': {
    type: 'string',
    description:
      "A marker in execution.checkpointing.dir (e.g. '_entropy_') replaced by random characters in the paths of checkpoint state files and removed from the others (_metadata), spreading the files over S3's key space.",
  },
  's3.entropy.length': {
    type: 'integer',
    default: 4,
    min: 1,
    max: 64,
    description: 'Number of random characters that replace s3.entropy.key.',
  },
  's3.upload.min.part.size': {
    type: 'memory-size',
    default: '5 mb',
    min: 5 * 1024 * 1024,
    max: 5 * 1024 * 1024 * 1024,
    description:
      'Size of the parts of multipart uploads: files larger than this are uploaded in parts, several at once; FileSink part files on S3 upload a part each time this much is buffered.',
  },
  's3.upload.concurrency': {
    type: 'integer',
    default: 4,
    min: 1,
    max: 64,
    description: 'Parts of one multipart upload sent at once.',
  },
  's3.max-attempts': {
    type: 'integer',
    default: 5,
    min: 1,
    max: 100,
    description: 'Attempts of each S3 request (retries with exponential backoff on throttling, 5xx and network errors).',
  },
  's3.connection.timeout': {
    type: 'duration',
    default: '10 s',
    description: 'Time to establish a connection to the S3 service before the attempt fails (and is retried).',
  },
  's3.request.timeout': {
    type: 'duration',
    default: '60 s',
    description: 'Time a socket of an S3 request may stay idle before the attempt fails (and is retried).',
  },

  // ---- high availability -------------------------------------------------------------------
  'high-availability.type': {
    type: 'enum',
    values: ['none', 'etcd', 'zookeeper', 'kubernetes'],
    default: 'none',
    check: (v: string) => (v === 'kubernetes' ? "'none', 'etcd' or 'zookeeper' (kubernetes is not provided yet)" : undefined),
    description:
      'High-availability services: leader election and the job, checkpoint and job result stores (see docs/high-availability.md).',
  },
  'high-availability.storageDir': {
    type: 'string',
    description:
      'Directory (a local path, file:// or s3:// URI) where HA services keep execution plans and the blobs of their jobs (required with HA).',
  },
  'high-availability.cluster-id': {
    type: 'string',
    default: 'default',
    description: 'Id that separates the HA data of clusters sharing one HA service.',
  },
  'high-availability.etcd.endpoints': {
    type: 'list',
    default: ['http://127.0.0.1:2379'],
    description: 'etcd endpoints, separated by ; (with high-availability.type etcd).',
  },
  'high-availability.etcd.path.root': {
    type: 'string',
    default: '/weir',
    description: 'Key prefix under which the clusters keep their HA data in etcd.',
  },
  'high-availability.etcd.lease-ttl': {
    type: 'duration',
    default: '2 s',
    min: 1000,
    description:
      "TTL of the leader's etcd lease (whole seconds; etcd's minimum is 2 s): a leader that stops renewing it loses leadership after this long.",
  },
  'high-availability.zookeeper.quorum': {
    type: 'string',
    default: '127.0.0.1:2181',
    description: 'ZooKeeper connection string host:port,host:port (with high-availability.type zookeeper).',
  },
  'high-availability.zookeeper.path.root': {
    type: 'string',
    default: '/weir',
    description: 'ZooKeeper node under which the clusters keep their HA data.',
  },
  'high-availability.zookeeper.client.session-timeout': {
    type: 'duration',
    default: '2 s',
    min: 500,
    description:
      'ZooKeeper session timeout: a leader whose session expires loses leadership (the server bounds it by 2x and 20x its tickTime).',
  },
  'high-availability.zookeeper.client.connection-timeout': {
    type: 'duration',
    default: '15 s',
    description: 'How long a process waits for its first connection to ZooKeeper before it fails.',
  },
  'high-availability.leader-retrieval.timeout': {
    type: 'duration',
    default: '60 s',
    description: 'How long TaskManagers and clients wait for a leading JobManager before they give up.',
  },

  // ---- metrics -----------------------------------------------------------------------------
  'metrics.reporters': {
    type: 'list',
    default: [],
    check: (v: readonly string[]) => {
      // Flink separates reporter names with commas: both ',' and ';' are accepted.
      const bad = v.flatMap((n) => n.split(',').map((x) => x.trim())).find((n) => n !== '' && !['prom', 'slf4j', 'file'].includes(n));
      return bad === undefined ? undefined : `reporter names among prom, slf4j and file (found '${bad}')`;
    },
    description:
      'Reporters this process starts, by name: prom (Prometheus pull endpoint), slf4j (metrics in the log), file (JSON lines). Each is configured by metrics.reporter.<name>.* keys.',
  },
  'metrics.reporter.prom.factory.class': {
    type: 'string',
    default: 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
    check: (v: string) =>
      /prometheus/i.test(v)
        ? undefined
        : "the Prometheus reporter factory ('org.apache.flink.metrics.prometheus.PrometheusReporterFactory')",
    description: "Factory of the reporter named prom (Flink's class name is accepted as is).",
  },
  'metrics.reporter.prom.port': {
    type: 'string',
    default: '9249-9260',
    check: portRange,
    description: 'Port or port range of the Prometheus endpoint of each process; each process takes the first free one.',
  },
  'metrics.reporter.prom.host': {
    type: 'string',
    default: '127.0.0.1',
    description: 'Address the Prometheus endpoint binds to (0.0.0.0 to let a Prometheus on another host scrape it).',
  },
  'metrics.reporter.prom.prefix': {
    type: 'string',
    default: 'weir',
    check: (v: string) => (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(v) ? undefined : "a Prometheus name prefix such as 'weir' or 'flink'"),
    description:
      "Prefix of every exported metric name: 'flink' makes names match Flink's reporter, so Flink's Grafana dashboards work unchanged.",
  },
  'metrics.reporter.prom.filterLabelValueCharacters': {
    type: 'boolean',
    default: true,
    description: 'Replace characters Prometheus label values should not carry (anything but letters, digits and _) with _, as Flink does.',
  },
  'metrics.reporter.slf4j.factory.class': {
    type: 'string',
    default: 'org.apache.flink.metrics.slf4j.Slf4jReporterFactory',
    check: (v: string) =>
      /slf4j/i.test(v) ? undefined : "the log reporter factory ('org.apache.flink.metrics.slf4j.Slf4jReporterFactory')",
    description: 'Factory of the reporter named slf4j: every metric of the process written to its log.',
  },
  'metrics.reporter.slf4j.interval': {
    type: 'duration',
    default: '60 s',
    min: 100,
    description: 'How often the slf4j reporter logs every metric.',
  },
  'metrics.reporter.file.factory.class': {
    type: 'string',
    default: 'weir.metrics.JsonLinesFileReporterFactory',
    check: (v: string) =>
      /jsonlines/i.test(v) ? undefined : "the JSON lines file reporter factory ('weir.metrics.JsonLinesFileReporterFactory')",
    description: 'Factory of the reporter named file: every metric of the process appended to a file as one JSON object per line.',
  },
  'metrics.reporter.file.path': {
    type: 'string',
    description: 'File the file reporter appends to (required with metrics.reporters: file); `{pid}` is replaced by the process id.',
  },
  'metrics.reporter.file.interval': {
    type: 'duration',
    default: '10 s',
    min: 100,
    description: 'How often the file reporter writes every metric.',
  },
  'metrics.scope.delimiter': { type: 'string', default: '.', description: 'Delimiter between the components of a metric identifier.' },
  'metrics.scope.jm': {
    type: 'string',
    default: '<host>.jobmanager',
    check: scopeCheck('jm'),
    description: 'Scope format of JobManager metrics.',
  },
  'metrics.scope.jm-job': {
    type: 'string',
    default: '<host>.jobmanager.<job_name>',
    check: scopeCheck('jm-job'),
    description: 'Scope format of job metrics on the JobManager.',
  },
  'metrics.scope.tm': {
    type: 'string',
    default: '<host>.taskmanager.<tm_id>',
    check: scopeCheck('tm'),
    description: 'Scope format of TaskManager metrics.',
  },
  'metrics.scope.tm-job': {
    type: 'string',
    default: '<host>.taskmanager.<tm_id>.<job_name>',
    check: scopeCheck('tm-job'),
    description: 'Scope format of job metrics on a TaskManager.',
  },
  'metrics.scope.task': {
    type: 'string',
    default: '<host>.taskmanager.<tm_id>.<job_name>.<task_name>.<subtask_index>',
    check: scopeCheck('task'),
    description: 'Scope format of task (subtask) metrics.',
  },
  'metrics.scope.operator': {
    type: 'string',
    default: '<host>.taskmanager.<tm_id>.<job_name>.<operator_name>.<subtask_index>',
    check: scopeCheck('operator'),
    description: 'Scope format of operator metrics.',
  },
  'metrics.fetcher.update-interval': {
    type: 'duration',
    default: '2 s',
    min: 100,
    description:
      'How often each TaskManager sends the sampled metrics of its tasks to the JobManager, which serves them on the REST API (Flink pulls every 10 s).',
  },

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
