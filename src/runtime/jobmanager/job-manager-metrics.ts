/**
 * The JobManager's metrics: the cluster gauges of its group (numRegisteredTaskManagers,
 * taskSlotsAvailable, taskSlotsTotal, numRunningJobs), the process's Status.* metrics, and per job
 * a group with Flink's job metrics (uptime/runningTime, numRestarts, checkpoint statistics), open
 * from submission until the job ends. TaskManagers' samples land in the metric store the REST API
 * queries.
 */
import { hostname } from 'node:os';
import type { MetricGroup } from '../../metrics/group.js';
import { jobManagerGroup, jobManagerJobGroup } from '../../metrics/groups.js';
import { MetricStore } from '../../metrics/metric-store.js';
import { MetricRegistry } from '../../metrics/registry.js';
import { registerSystemMetrics } from '../../metrics/system.js';
import type { Dispatcher } from './dispatcher.js';
import type { JobMaster } from './job-master.js';
import { isGloballyTerminal } from './job-status.js';
import type { ResourceManager } from './resource-manager.js';

export interface JobManagerMetricsOptions {
  /** The process's registry (with its reporters); default a registry of its own without reporters. */
  metricRegistry?: MetricRegistry;
  /** `<host>` of the JobManager's groups; default the machine's host name. */
  host?: string;
}

export class JobManagerMetrics {
  readonly registry: MetricRegistry;
  readonly store: MetricStore;
  readonly group: MetricGroup;
  private readonly stopSystem: () => void;

  constructor(rm: ResourceManager, dispatcher: Dispatcher, options: JobManagerMetricsOptions = {}) {
    this.registry = options.metricRegistry ?? new MetricRegistry();
    this.store = new MetricStore(this.registry);
    const host = options.host ?? hostname();
    const g = (this.group = jobManagerGroup(this.registry, host));
    g.gauge('numRegisteredTaskManagers', () => rm.taskManagers().length);
    g.gauge('taskSlotsAvailable', () => rm.freeSlots);
    g.gauge('taskSlotsTotal', () => rm.totalSlots);
    g.gauge('numRunningJobs', () => dispatcher.list().filter((j) => !isGloballyTerminal(j.status)).length);
    this.stopSystem = registerSystemMetrics(g);
    const jobs = new Map<JobMaster, MetricGroup>();
    dispatcher.onJobSubmitted((jm) => jobs.set(jm, jobGroup(this.registry, host, jm)));
    dispatcher.onJobTerminal((jm) => {
      jobs.get(jm)?.close();
      jobs.delete(jm);
    });
  }

  close(): void {
    this.stopSystem();
    this.group.close();
  }
}

function jobGroup(registry: MetricRegistry, host: string, jm: JobMaster): MetricGroup {
  const g = jobManagerJobGroup(registry, host, jm.jobId, jm.jobName);
  // Flink's UpTimeGauge: ms since the job last went RUNNING, 0 while it is not running, -1 once it ended.
  const uptime = (): number => {
    if (isGloballyTerminal(jm.status)) return -1;
    const since = jm.statusTimestamps.RUNNING;
    return jm.status === 'RUNNING' && since !== undefined ? Date.now() - since : 0;
  };
  g.gauge('uptime', uptime);
  g.gauge('runningTime', uptime);
  g.gauge('downtime', () => {
    const failing = jm.statusTimestamps.RESTARTING;
    return jm.status === 'RESTARTING' && failing !== undefined ? Date.now() - failing : 0;
  });
  g.gauge('numRestarts', () => jm.attempt);
  const stats = (): ReturnType<JobMaster['checkpointStats']> => jm.checkpointStats();
  g.gauge('totalNumberOfCheckpoints', () => stats().counts.total);
  g.gauge('numberOfInProgressCheckpoints', () => stats().counts.in_progress);
  g.gauge('numberOfCompletedCheckpoints', () => stats().counts.completed);
  g.gauge('numberOfFailedCheckpoints', () => stats().counts.failed);
  g.gauge('lastCheckpointRestoreTimestamp', () => stats().latest.restored?.restore_timestamp ?? -1);
  g.gauge('lastCompletedCheckpointId', () => stats().latest.completed?.id ?? -1);
  g.gauge('lastCheckpointDuration', () => stats().latest.completed?.end_to_end_duration ?? -1);
  g.gauge('lastCheckpointSize', () => stats().latest.completed?.checkpointed_size ?? -1);
  g.gauge('lastCheckpointFullSize', () => stats().latest.completed?.state_size ?? -1);
  g.gauge('lastCheckpointExternalPath', () => stats().latest.completed?.external_path ?? 'n/a');
  return g;
}
