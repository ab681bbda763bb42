/**
 * The component groups of Flink's hierarchy, with their variables: JobManager (`<host>`), job on
 * the JobManager (+ `<job_id>`, `<job_name>`), TaskManager (`<host>`, `<tm_id>`), task (+ job,
 * `<task_id>` (the vertex id), `<task_attempt_id>`, `<task_name>`, `<task_attempt_num>`,
 * `<subtask_index>`) and operator (+ `<operator_id>`, `<operator_name>`).
 */
import { MetricGroup } from './group.js';
import type { MetricRegistry } from './registry.js';

export function jobManagerGroup(registry: MetricRegistry, host: string): MetricGroup {
  return new MetricGroup(registry, 'jm', { '<host>': host });
}

export function jobManagerJobGroup(registry: MetricRegistry, host: string, jobId: string, jobName: string): MetricGroup {
  return new MetricGroup(registry, 'jm-job', { '<host>': host, '<job_id>': jobId, '<job_name>': jobName });
}

export function taskManagerGroup(registry: MetricRegistry, host: string, tmId: string): MetricGroup {
  return new MetricGroup(registry, 'tm', { '<host>': host, '<tm_id>': tmId });
}

export interface TaskIdentity {
  host: string;
  tmId: string;
  jobId: string;
  jobName: string;
  vertexId: string;
  taskName: string;
  subtask: number;
  attempt: number;
}

export function taskGroup(registry: MetricRegistry, t: TaskIdentity): MetricGroup {
  return new MetricGroup(registry, 'task', {
    '<host>': t.host,
    '<tm_id>': t.tmId,
    '<job_id>': t.jobId,
    '<job_name>': t.jobName,
    '<task_id>': t.vertexId,
    '<task_attempt_id>': `${t.vertexId}_${t.subtask}_${t.attempt}`,
    '<task_name>': t.taskName,
    '<task_attempt_num>': String(t.attempt),
    '<subtask_index>': String(t.subtask),
  });
}

export function operatorGroup(task: MetricGroup, operatorId: string, operatorName: string): MetricGroup {
  return new MetricGroup(task.registry, 'operator', { ...task.variables, '<operator_id>': operatorId, '<operator_name>': operatorName });
}
