/**
 * The options of the metric system: reporters, scopes, the fetcher (Flink's `metrics.*` keys).
 * Kept beside the main table in options.ts, which spreads them in.
 */
import type { OptionSpec } from './options.js';

const portRange = (v: string): string | undefined => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v.trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
  return m && lo <= hi && hi <= 65535 ? undefined : "a port or a port range such as '9249' or '9249-9260'";
};

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

export const METRICS_OPTIONS = {
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
} as const satisfies Record<string, OptionSpec>;
