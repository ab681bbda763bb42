/**
 * Entry of a slot's worker thread: one per (job attempt, slot). It replays the program to get the
 * job's user functions, runs the tasks deployed to the slot, and talks to the TaskManager through
 * its parent port. It exits when the TaskManager terminates it at the end of the job attempt, so
 * no module of a finished job outlives it.
 *
 * A worker may be started before any job needs it (the TaskManager's warm pool, warm-pool.ts): it
 * then has the engine imported and waits, unbound, for its one `init`, which names its address
 * (job, attempt, slot) and brings the job's bundle.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { installDistributedCache } from '../../api/distributed-cache.js';
import { serializeError, type SerializedError } from '../../errors.js';
import { ConnectionManager } from '../network/connection-manager.js';
import { MetricRegistry } from '../../metrics/registry.js';
import { replayProgram, type ReplayedJob } from '../program-replay.js';
import type { ExecutionState, FromSlotWorker, JobDeployment, SourceEventKind, TaskMetrics, ToSlotWorker } from '../rpc/messages.js';
import { Task, type TaskEnvironment } from './task.js';
import { configureFileSystems } from '../../fs/index.js';

const port = parentPort!;
const { host, fileSystems } = workerData as { host?: string; fileSystems?: Record<string, unknown> };
// The TaskManager's file system settings (s3.*): checkpoints and file connectors of this slot use them.
configureFileSystems(fileSystems ?? {});
const post = (m: FromSlotWorker): void => port.postMessage(m);

/** How often the tasks' metrics are sampled to the TaskManager (ms): one message for all tasks of the worker. */
const METRICS_SAMPLE_MS = 1000;
/**
 * WEIR_METRICS=off (a benchmark switch, see bench/): no view updates and no sampling, so the
 * benchmark can compare the record path with and without the metric system's periodic work.
 */
const sampling = process.env.WEIR_METRICS !== 'off';
const metricRegistry = new MetricRegistry({ updateViews: sampling });

/** Samples the tasks' metrics once the worker is bound to a job (a warm worker has none to send). */
function startSampling(): void {
  if (!sampling) return;
  setInterval(() => {
    const groups = metricRegistry.dumpLocal();
    if (groups.length > 0 || tasks.size === 0) post({ type: 'metrics', groups });
  }, METRICS_SAMPLE_MS).unref();
}

/** Set by `init`: a worker serves one job attempt and slot, named by its address `tmId/jobId/attempt/slot`. */
let connections: ConnectionManager | undefined;
/** Peers' ports handed over before init (the TaskManager registers the worker first). */
const earlyConnections: [string, MessagePort][] = [];
const tasks = new Map<string, Task>();
let env: TaskEnvironment | undefined;
let ready: Promise<ReplayedJob> | undefined;

function makeEnv(d: JobDeployment, job: ReplayedJob, address: string, connections: ConnectionManager): TaskEnvironment {
  const metrics = sampling ? { registry: metricRegistry, host: host ?? 'localhost', tmId: address.split('/')[0]! } : undefined;
  return {
    ...(metrics ? { metrics } : {}),
    jobId: d.jobId,
    attempt: d.attempt,
    jobGraph: d.jobGraph,
    streamGraph: job.streamGraph,
    settings: d.settings,
    connections,
    reportState(vertexId: string, subtask: number, state: ExecutionState, error?: SerializedError, metrics?: TaskMetrics) {
      const m: FromSlotWorker = { type: 'taskState', vertexId, subtask, state };
      if (error) m.error = error;
      if (metrics) m.metrics = metrics;
      post(m);
    },
    sourceEvent(operatorId: string, vertexId: string, subtask: number, event: SourceEventKind) {
      post({ type: 'sourceEvent', operatorId, vertexId, subtask, event });
    },
    sendCollected(collectId: string, values: unknown[], vertexId: string, subtask: number) {
      post({ type: 'collect', collectId, values, vertexId, subtask });
    },
    print(text: string, toStderr: boolean) {
      post({ type: 'print', text, toStderr });
    },
    acknowledgeCheckpoint(vertexId, subtask, checkpointId, handle, metrics) {
      post({ type: 'acknowledgeCheckpoint', vertexId, subtask, checkpointId, handle, metrics });
    },
    declineCheckpoint(vertexId, subtask, checkpointId, reason) {
      post({ type: 'declineCheckpoint', vertexId, subtask, checkpointId, reason });
    },
    endOfData(vertexId, subtask) {
      post({ type: 'endOfData', vertexId, subtask });
    },
  };
}

port.on('message', (msg: ToSlotWorker) => {
  switch (msg.type) {
    case 'init': {
      if (connections) throw new Error(`slot worker ${connections.self} received a second init`);
      const d = msg.deployment;
      const address = msg.workerAddress;
      const conns = (connections = new ConnectionManager(address, (peer) => post({ type: 'requestConnection', peer })));
      for (const [peer, p] of earlyConnections.splice(0)) conns.addConnection(peer, p);
      startSampling();
      // Before main() is replayed: tasks of this worker read their cached files from here.
      installDistributedCache(msg.cachedFiles ?? {});
      ready = replayProgram(d);
      ready.then(
        (job) => {
          env = makeEnv(d, job, address, conns);
          post({ type: 'ready' });
        },
        (e: unknown) => post({ type: 'initFailed', error: serializeError(e, 'WEIR_PROGRAM_FAILED') }),
      );
      return;
    }
    case 'connect':
      // The TaskManager registers a worker (and may hand it peers' ports) before it posts init.
      if (connections) connections.addConnection(msg.peer, msg.port);
      else earlyConnections.push([msg.peer, msg.port]);
      return;
    case 'deploy': {
      const task = new Task(env!, msg.task);
      tasks.set(`${msg.task.vertexId}/${msg.task.subtask}`, task);
      void task.run().finally(() => tasks.delete(`${msg.task.vertexId}/${msg.task.subtask}`));
      return;
    }
    case 'splits':
      tasks.get(`${msg.vertexId}/${msg.subtask}`)?.addSplits(msg.splits, msg.noMoreSplits);
      return;
    case 'triggerCheckpoint':
      // A task that just ended is not triggered: the coordinator learns of its end from its state.
      tasks.get(`${msg.vertexId}/${msg.subtask}`)?.triggerCheckpoint(msg.checkpointId, msg.timestamp, msg.mode, msg.options ?? {});
      return;
    case 'checkpointNotification':
      for (const t of tasks.values()) t.notifyCheckpoint(msg.checkpointId, msg.kind);
      return;
    case 'cancel':
      for (const t of tasks.values()) t.cancel();
      return;
  }
});
