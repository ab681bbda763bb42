/**
 * A TaskManager's metrics: its group (Status.* of the process), the samples its slot workers post
 * every second (kept in the registry, so the process's reporters show its tasks), and the push of
 * all of them to the JobManager every metrics.fetcher.update-interval for the REST API.
 */
import { hostname } from 'node:os';
import type { MetricGroupDump } from '../../metrics/dump-schema.js';
import type { MetricGroup } from '../../metrics/group.js';
import { taskManagerGroup } from '../../metrics/groups.js';
import { MetricRegistry } from '../../metrics/registry.js';
import { registerSystemMetrics } from '../../metrics/system.js';
import type { ToJobManager } from '../rpc/messages.js';

export interface TaskManagerMetricsOptions {
  /** The process's registry (with its reporters); default a registry of its own without reporters. */
  registry?: MetricRegistry;
  host?: string;
  /** How often the samples go to the JobManager (ms), metrics.fetcher.update-interval. */
  updateInterval?: number;
}

const WORKER = 'slot-worker:';

export class TaskManagerMetrics {
  readonly registry: MetricRegistry;
  readonly group: MetricGroup;
  readonly host: string;
  private readonly workers = new Set<string>();
  private readonly stopSystem: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly tmId: string,
    private readonly send: (m: ToJobManager) => void,
    threads: () => number,
    options: TaskManagerMetricsOptions = {},
  ) {
    this.registry = options.registry ?? new MetricRegistry();
    this.host = options.host ?? hostname();
    this.group = taskManagerGroup(this.registry, this.host, tmId);
    this.stopSystem = registerSystemMetrics(this.group, { threads });
    this.timer = setInterval(() => this.push(), options.updateInterval ?? 2000);
    this.timer.unref();
  }

  /** The latest samples of one slot worker's tasks. */
  workerSample(address: string, groups: MetricGroupDump[]): void {
    this.workers.add(address);
    this.registry.setRemote(WORKER + address, groups);
  }

  /** A worker ended: its tasks' metrics are gone. */
  workerGone(address: string): void {
    this.workers.delete(address);
    this.registry.removeRemote(WORKER + address);
  }

  /** Everything this TaskManager reports: its own groups and its workers' samples. */
  dump(): MetricGroupDump[] {
    const out = this.group.dumpTree();
    for (const w of this.workers) out.push(...this.registry.remoteOf(WORKER + w));
    return out;
  }

  push(): void {
    try {
      this.send({ type: 'metrics', tmId: this.tmId, groups: this.dump() });
    } catch {
      // Not connected to a JobManager right now: the next push carries the then current values.
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.stopSystem();
    this.group.close();
    for (const w of [...this.workers]) this.workerGone(w);
  }
}
