/**
 * The JobManager: a Dispatcher and a ResourceManager behind one object. In the local mini-cluster
 * TaskManagers reach it by direct calls; in a distributed cluster, through the RPC server. With an
 * active resource provider the ResourceManager starts TaskManagers for the jobs that need slots.
 */
import { Dispatcher, type DispatcherOptions } from './dispatcher.js';
import { ResourceManager, type ResourceManagerOptions, type TaskManagerGateway } from './resource-manager.js';
import type { ToJobManager } from '../rpc/messages.js';
import { JobManagerMetrics, type JobManagerMetricsOptions } from './job-manager-metrics.js';

export class JobManager {
  readonly resourceManager: ResourceManager;
  readonly dispatcher: Dispatcher;
  /** The JobManager's metric groups and the metric store the REST API queries. */
  readonly metrics: JobManagerMetrics;

  constructor(options: ResourceManagerOptions & DispatcherOptions & JobManagerMetricsOptions = {}) {
    this.resourceManager = new ResourceManager(options);
    this.dispatcher = new Dispatcher(this.resourceManager, {
      archive: options.archive,
      persistence: options.persistence,
      ...(options.log ? { log: options.log } : {}),
    });
    this.metrics = new JobManagerMetrics(this.resourceManager, this.dispatcher, options);
  }

  registerTaskManager(gw: TaskManagerGateway): void {
    this.resourceManager.registerTaskManager(gw);
  }

  /**
   * A TaskManager is gone (its connection closed, or it missed heartbeats): its slots leave the
   * ResourceManager and every job with tasks on it fails over through its restart strategy.
   */
  taskManagerLost(tmId: string, reason: string): void {
    this.resourceManager.unregisterTaskManager(tmId);
    this.metrics.store.removeTaskManager(tmId);
    for (const jm of this.dispatcher.list()) jm.onTaskManagerLost(tmId, reason);
  }

  /** A message from a TaskManager. */
  receive(msg: ToJobManager): void {
    if (msg.type === 'metrics') this.metrics.store.update(msg.tmId, msg.groups);
    else this.dispatcher.route(msg);
  }

  shutdown(): void {
    this.dispatcher.cancelAll();
    this.resourceManager.close();
    this.metrics.close();
  }
}
