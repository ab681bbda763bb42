/**
 * What the JobManager knows of every metric in the cluster (Flink's MetricStore behind
 * MetricFetcher): its own groups (JobManager, jobs) read live, and per TaskManager the latest
 * samples that TaskManager sent (its own metrics, its tasks' and operators'). Metrics are named as
 * Flink's REST API names them: relative to their component, an operator's prefixed with the
 * operator's name (`Source: numbers.numRecordsOut`), a histogram as `<name>_min`, `_max`,
 * `_mean`, `_median`, `_stddev`, `_p75`, `_p95`, `_p98`, `_p99`, `_p999`.
 */
import type { MetricGroupDump, MetricValueDump } from './dump-schema.js';
import type { MetricRegistry } from './registry.js';

/** Metric name → value, as the REST API shows it (a string). */
export type MetricValues = Map<string, string>;

/** The queries the REST API's metrics paths make (Flink's MetricStore views). */
export interface MetricQueryService {
  jobManager(): MetricValues;
  taskManagerIds(): string[];
  taskManager(tmId: string): MetricValues | undefined;
  jobIds(): string[];
  job(jobId: string): MetricValues;
  /** Subtask indices of a vertex that reported metrics. */
  subtaskIndices(jobId: string, vertexId: string): number[];
  /** Task and operator metrics of one subtask (its latest attempt). */
  subtask(jobId: string, vertexId: string, subtask: number, attempt?: number): MetricValues;
  /** Subtasks' metrics of a vertex, each prefixed with its index (`0.numRecordsIn`), as Flink's vertex metrics. */
  vertex(jobId: string, vertexId: string): MetricValues;
  /** Metrics of operators that run on the JobManager (source coordinators) for a vertex. */
  jmOperator(jobId: string, vertexId: string): MetricValues;
}

export function formatValue(m: MetricValueDump): string {
  return typeof m.v === 'number' ? (Number.isInteger(m.v) ? String(m.v) : String(m.v)) : String(m.v);
}

function put(out: MetricValues, name: string, m: MetricValueDump): void {
  if (m.k === 'histogram' && m.h) {
    const h = m.h;
    const add = (suffix: string, v: number): void => void out.set(`${name}_${suffix}`, String(v));
    add('count', h.count);
    add('min', h.min);
    add('max', h.max);
    add('mean', h.mean);
    add('median', h.p50);
    add('stddev', h.stddev);
    add('p75', h.p75);
    add('p95', h.p95);
    add('p98', h.p98);
    add('p99', h.p99);
    add('p999', h.p999);
    return;
  }
  out.set(name, formatValue(m));
}

/** A metric's name relative to its component (Flink's QueryScopeInfo): sub-groups, then the name; an operator's prefixed with its name. */
function relativeName(g: MetricGroupDump, m: MetricValueDump): string {
  const parts: string[] = [];
  if (g.category === 'operator') parts.push(g.variables['<operator_name>'] ?? '');
  for (const s of g.sub) {
    parts.push(s.name);
    if (s.value !== undefined) parts.push(s.value);
  }
  parts.push(m.n);
  return parts.join('.');
}

export class MetricStore implements MetricQueryService {
  /** Per TaskManager its latest samples (not the registry's: its reporters show this process's metrics only, as Flink's). */
  private readonly tms = new Map<string, MetricGroupDump[]>();

  constructor(
    /** The JobManager's own registry (its groups and the jobs'). */
    private readonly registry: MetricRegistry,
  ) {}

  /** A TaskManager's latest samples (its metrics and its tasks'), replacing the previous ones. */
  update(tmId: string, dumps: MetricGroupDump[]): void {
    this.tms.set(tmId, dumps);
  }

  removeTaskManager(tmId: string): void {
    this.tms.delete(tmId);
  }

  jobManager(): MetricValues {
    return this.collect(this.registry.dumpLocal(), (g) => g.category === 'jm');
  }

  taskManagerIds(): string[] {
    return [...this.tms.keys()];
  }

  taskManager(tmId: string): MetricValues | undefined {
    const d = this.tms.get(tmId);
    return d && this.collect(d, (g) => g.category === 'tm');
  }

  jobIds(): string[] {
    const ids = new Set<string>();
    for (const g of this.registry.dumpLocal()) if (g.category === 'jm-job' && g.variables['<job_id>']) ids.add(g.variables['<job_id>']);
    return [...ids];
  }

  job(jobId: string): MetricValues {
    return this.collect(this.registry.dumpLocal(), (g) => g.category === 'jm-job' && g.variables['<job_id>'] === jobId);
  }

  subtaskIndices(jobId: string, vertexId: string): number[] {
    const idx = new Set<number>();
    for (const g of this.taskGroups(jobId, vertexId)) idx.add(Number(g.variables['<subtask_index>']));
    return [...idx].sort((a, b) => a - b);
  }

  subtask(jobId: string, vertexId: string, subtask: number, attempt?: number): MetricValues {
    const groups = this.taskGroups(jobId, vertexId).filter((g) => Number(g.variables['<subtask_index>']) === subtask);
    const attempts = groups.map((g) => Number(g.variables['<task_attempt_num>'] ?? 0));
    const want = attempt ?? Math.max(-1, ...attempts);
    return this.collect(
      groups.filter((g) => Number(g.variables['<task_attempt_num>'] ?? 0) === want),
      () => true,
    );
  }

  vertex(jobId: string, vertexId: string): MetricValues {
    const out: MetricValues = new Map();
    for (const i of this.subtaskIndices(jobId, vertexId)) for (const [k, v] of this.subtask(jobId, vertexId, i)) out.set(`${i}.${k}`, v);
    return out;
  }

  jmOperator(jobId: string, vertexId: string): MetricValues {
    return this.collect(
      this.registry.dumpLocal(),
      (g) => g.category === 'operator' && g.variables['<job_id>'] === jobId && g.variables['<task_id>'] === vertexId,
    );
  }

  private taskGroups(jobId: string, vertexId: string): MetricGroupDump[] {
    const out: MetricGroupDump[] = [];
    for (const dumps of this.tms.values()) {
      for (const g of dumps) {
        if (
          (g.category === 'task' || g.category === 'operator') &&
          g.variables['<job_id>'] === jobId &&
          g.variables['<task_id>'] === vertexId
        )
          out.push(g);
      }
    }
    return out;
  }

  private collect(groups: readonly MetricGroupDump[], which: (g: MetricGroupDump) => boolean): MetricValues {
    const out: MetricValues = new Map();
    for (const g of groups) if (which(g)) for (const m of g.metrics) put(out, relativeName(g, m), m);
    return out;
  }
}
