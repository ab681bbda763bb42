/**
 * Hosts the job's source coordinator (Flink's OperatorCoordinator holder for sources): a worker
 * thread running the split enumerators of the current attempt. It forwards the readers' events to
 * it, its split assignments to the tasks, and its enumerator snapshots to the CheckpointCoordinator.
 */
import { Worker } from 'node:worker_threads';
import { serializeError, type SerializedError } from '../../errors.js';
import type { SourceSplit } from '../../api/source.js';
import type { FromCoordinator, JobDeployment, SourceEventKind, ToCoordinator } from '../rpc/messages.js';
import { workerEntry } from '../worker-entry.js';
import { trackWorkerThread } from '../../util/process-info.js';
import { fileSystemSettings } from '../../fs/index.js';

type SnapshotDone = (states: Record<string, unknown> | Error) => void;

/** What the coordinator's attempt reports to its JobMaster. */
export interface SourceCoordinatorEvents {
  /** Whether the attempt it was started for is still the current one (later reports are dropped). */
  current(): boolean;
  fail(error: SerializedError, restartable: boolean): void;
  splits(operatorId: string, subtask: number, splits: SourceSplit[], noMoreSplits: boolean): void;
}

export class SourceCoordinatorHost {
  private worker: Worker | undefined;
  /** Enumerator snapshots asked of the source coordinator, by checkpoint id. */
  private readonly snapshots = new Map<number, SnapshotDone>();

  constructor(private readonly jobName: string) {}

  /**
   * Starts the coordinator thread of an attempt (with the enumerators' states of the checkpoint
   * restored from); resolves with whether its enumerators were created.
   */
  start(d: JobDeployment, restored: Record<string, unknown> | undefined, events: SourceCoordinatorEvents): Promise<boolean> {
    return new Promise((resolve) => {
      const w = new Worker(workerEntry('./jobmanager/coordinator-worker.js'), { workerData: { fileSystems: fileSystemSettings() } });
      trackWorkerThread(w, `Source coordinator of ${this.jobName}`);
      this.worker = w;
      let settled = false;
      const settle = (ok: boolean): void => {
        if (!settled) {
          settled = true;
          resolve(ok);
        }
      };
      w.on('message', (m: FromCoordinator) => {
        if (!events.current()) return;
        switch (m.type) {
          case 'ready':
            settle(true);
            return;
          case 'initFailed':
            settle(false);
            events.fail(m.error, false);
            return;
          case 'failed':
            events.fail(m.error, true);
            return;
          case 'snapshot':
          case 'snapshotFailed': {
            const done = this.snapshots.get(m.checkpointId);
            this.snapshots.delete(m.checkpointId);
            done?.(m.type === 'snapshot' ? m.states : new Error(m.error.message));
            return;
          }
          case 'assign':
          case 'noMoreSplits':
            events.splits(m.operatorId, m.subtask, m.type === 'assign' ? m.splits : [], m.type === 'noMoreSplits');
            return;
        }
      });
      w.on('error', (e) => {
        settle(false);
        if (events.current()) events.fail(serializeError(e, 'WEIR_USER_FUNCTION', { jobName: this.jobName }), true);
      });
      w.postMessage({ type: 'init', deployment: d, ...(restored ? { restored } : {}) } satisfies ToCoordinator);
    });
  }

  /** Snapshots the enumerators for a checkpoint; without a coordinator there are none: `{}` at once. */
  snapshot(checkpointId: number, done: SnapshotDone): void {
    if (!this.worker) {
      done({});
      return;
    }
    this.snapshots.set(checkpointId, done);
    this.worker.postMessage({ type: 'snapshot', checkpointId } satisfies ToCoordinator);
  }

  sourceEvent(operatorId: string, subtask: number, event: SourceEventKind): void {
    this.worker?.postMessage({ type: 'sourceEvent', operatorId, subtask, event } satisfies ToCoordinator);
  }

  /** The attempt ended: the thread stops, snapshots still asked for fail. */
  stop(): void {
    if (this.worker) {
      void this.worker.terminate();
      this.worker = undefined;
    }
    for (const done of this.snapshots.values()) done(new Error('the source coordinator stopped'));
    this.snapshots.clear();
  }
}
