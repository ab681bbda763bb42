/**
 * Scopes (Flink's ScopeFormats): each metric group belongs to a scope category whose format,
 * `metrics.scope.<category>`, turns the group's variables into the components of its identifier
 * (`<host>.taskmanager.<tm_id>.<job_name>.<operator_name>.<subtask_index>.numRecordsIn`). The
 * logical scope (`taskmanager.job.task.operator`) names the kind of group, independent of the
 * format: reporters that label metrics with variables (Prometheus) use it.
 */
import type { Configuration } from '../config/index.js';
import type { MetricGroupDump, ScopeCategory, SubGroup } from './dump-schema.js';

export type { ScopeCategory } from './dump-schema.js';

export const DEFAULT_SCOPE_FORMATS: Readonly<Record<ScopeCategory, string>> = {
  jm: '<host>.jobmanager',
  'jm-job': '<host>.jobmanager.<job_name>',
  tm: '<host>.taskmanager.<tm_id>',
  'tm-job': '<host>.taskmanager.<tm_id>.<job_name>',
  task: '<host>.taskmanager.<tm_id>.<job_name>.<task_name>.<subtask_index>',
  operator: '<host>.taskmanager.<tm_id>.<job_name>.<operator_name>.<subtask_index>',
};

export const LOGICAL_SCOPES: Readonly<Record<ScopeCategory, readonly string[]>> = {
  jm: ['jobmanager'],
  'jm-job': ['jobmanager', 'job'],
  tm: ['taskmanager'],
  'tm-job': ['taskmanager', 'job'],
  task: ['taskmanager', 'job', 'task'],
  operator: ['taskmanager', 'job', 'task', 'operator'],
};

/** The variables a group of each category has (Flink's names, with angle brackets). */
export const SCOPE_VARIABLES: Readonly<Record<ScopeCategory, readonly string[]>> = {
  jm: ['<host>'],
  'jm-job': ['<host>', '<job_id>', '<job_name>'],
  tm: ['<host>', '<tm_id>'],
  'tm-job': ['<host>', '<tm_id>', '<job_id>', '<job_name>'],
  task: [
    '<host>',
    '<tm_id>',
    '<job_id>',
    '<job_name>',
    '<task_id>',
    '<task_attempt_id>',
    '<task_name>',
    '<task_attempt_num>',
    '<subtask_index>',
  ],
  operator: [
    '<host>',
    '<tm_id>',
    '<job_id>',
    '<job_name>',
    '<task_id>',
    '<task_attempt_id>',
    '<task_name>',
    '<task_attempt_num>',
    '<subtask_index>',
    '<operator_id>',
    '<operator_name>',
  ],
};

const CONFIG_KEYS = {
  jm: 'metrics.scope.jm',
  'jm-job': 'metrics.scope.jm-job',
  tm: 'metrics.scope.tm',
  'tm-job': 'metrics.scope.tm-job',
  task: 'metrics.scope.task',
  operator: 'metrics.scope.operator',
} as const;

export class ScopeFormats {
  constructor(
    readonly formats: Readonly<Record<ScopeCategory, string>> = DEFAULT_SCOPE_FORMATS,
    readonly delimiter = '.',
  ) {}

  static fromConfig(config: Configuration): ScopeFormats {
    const formats = { ...DEFAULT_SCOPE_FORMATS };
    for (const cat of Object.keys(CONFIG_KEYS) as ScopeCategory[]) formats[cat] = config.get(CONFIG_KEYS[cat]);
    return new ScopeFormats(formats, config.get('metrics.scope.delimiter'));
  }

  /** The scope components of a group: its category's format with variables filled in, then its sub-groups. */
  components(category: ScopeCategory, variables: Readonly<Record<string, string>>, sub: readonly SubGroup[] = []): string[] {
    const out: string[] = [];
    for (const part of this.formats[category].split('.')) {
      if (part === '') continue;
      // A component may mix text and variables ('tm-<tm_id>'); an unknown variable stays as written.
      out.push(part.replace(/<[a-z_]+>/g, (v) => variables[v] ?? v));
    }
    for (const s of sub) {
      out.push(s.name);
      if (s.value !== undefined) out.push(s.value);
    }
    return out;
  }

  identifier(group: Pick<MetricGroupDump, 'category' | 'variables' | 'sub'>, name: string): string {
    return [...this.components(group.category, group.variables, group.sub), name].join(this.delimiter);
  }
}

/** The logical scope of a group: its category's, then the names of its sub-groups (a key/value group adds its key). */
export function logicalScope(category: ScopeCategory, sub: readonly SubGroup[] = []): string[] {
  return [...LOGICAL_SCOPES[category], ...sub.map((s) => s.name)];
}
