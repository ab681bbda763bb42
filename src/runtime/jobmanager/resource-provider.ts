/**
 * A resource provider starts and stops TaskManagers for the ResourceManager (Flink's
 * ResourceManagerDriver). The standalone provider is passive: the user starts TaskManagers by hand
 * and it cannot start any. Active providers (the process provider in src/providers/process/, a
 * Kubernetes provider creating pods) start a TaskManager when the ResourceManager asks for slots,
 * stop the ones it releases, and report when one of theirs terminated.
 *
 * The contract is the same for processes and pods: `startTaskManager` returns at once with the
 * resource id the new TaskManager will register with (taskmanager.resource-id); the start itself
 * is asynchronous and its failure is reported through `onTerminated`.
 */

export interface ResourceProvider {
  /** 'standalone', 'process', 'kubernetes'. */
  readonly name: string;
  /** Whether it starts TaskManagers on request. */
  readonly active: boolean;
  /** Starts a TaskManager offering `slots` slots; returns the resource id it will register with. */
  startTaskManager(slots: number): string;
  /** Whether `resourceId` is a TaskManager this provider started (and may stop). */
  owns(resourceId: string): boolean;
  /** Stops a TaskManager it started: gracefully, then forcibly; resolves when it is gone. */
  stopTaskManager(resourceId: string, reason: string): Promise<void>;
  /** Set by the ResourceManager: a TaskManager this provider started has terminated (process exited, pod deleted). */
  onTerminated: ((resourceId: string, reason: string) => void) | undefined;
  /** Stops every TaskManager it started; resolves when they are all gone. */
  close(): Promise<void>;
  /**
   * With high availability: this JobManager became the leader (called before it recovers jobs). An
   * active provider takes over the TaskManagers the previous leader started, which register here.
   */
  leadershipGranted?(): Promise<void>;
}

/** The standalone provider: TaskManagers are started by the user (`weir taskmanager`), never by the cluster. */
export class StandaloneResourceProvider implements ResourceProvider {
  readonly name = 'standalone';
  readonly active = false;
  onTerminated: ((resourceId: string, reason: string) => void) | undefined;

  startTaskManager(): string {
    throw new Error('the standalone resource provider cannot start TaskManagers');
  }

  owns(): boolean {
    return false;
  }

  async stopTaskManager(): Promise<void> {}

  async close(): Promise<void> {}
}
