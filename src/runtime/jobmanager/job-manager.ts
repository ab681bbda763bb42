/**
 * The JobManager: a Dispatcher and a ResourceManager behind one object. In the local mini-cluster
 * TaskManagers reach it by direct calls; in a distributed cluster, through the RPC server.
 */
import { Dispatcher } from './dispatcher.js';
import { ResourceManager, type TaskManagerGateway } from './resource-manager.js';
import type { ToJobManager } from '../rpc/messages.js';

export class JobManager {
  readonly resourceManager = new ResourceManager();
  readonly dispatcher = new Dispatcher(this.resourceManager);

  registerTaskManager(gw: TaskManagerGateway): void {
    this.resourceManager.registerTaskManager(gw);
  }

  /** A message from a TaskManager. */
  receive(msg: ToJobManager): void {
    this.dispatcher.route(msg);
  }

  shutdown(): void {
    this.dispatcher.cancelAll();
  }
}
