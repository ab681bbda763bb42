/**
 * Entry of a job's source coordinator thread (Flink's SourceCoordinator, one thread per job): it
 * replays the program to get the Source objects, runs one SplitEnumerator per source vertex, and
 * answers readers' registrations and split requests relayed by the JobMaster. For a checkpoint it
 * snapshots every enumerator; the answer follows every assignment made before it on the same port,
 * which is what keeps enumerator and reader snapshots consistent. A restored job's enumerators
 * start from their checkpointed state.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SourceSplit, SplitEnumerator } from '../../api/source.js';
import { serializeError } from '../../errors.js';
import { replayProgram } from '../program-replay.js';
import type { FromCoordinator, ToCoordinator } from '../rpc/messages.js';
import { configureFileSystems } from '../../fs/index.js';

// The JobManager's file system settings (s3.*): enumerators list s3:// locations with them.
configureFileSystems((workerData as { fileSystems?: Record<string, unknown> } | null)?.fileSystems ?? {});

const port = parentPort!;
const post = (m: FromCoordinator): void => port.postMessage(m);
const enumerators = new Map<string, SplitEnumerator<SourceSplit>>();
/** Readers' events and checkpoint requests that arrived while the enumerators were being created, in order. */
const queued: Extract<ToCoordinator, { type: 'sourceEvent' } | { type: 'snapshot' }>[] = [];
let started = false;

function handle(m: Extract<ToCoordinator, { type: 'sourceEvent' }>): void {
  const e = enumerators.get(m.operatorId);
  if (!e) return;
  try {
    if (m.event === 'register') e.addReader(m.subtask);
    else e.handleSplitRequest(m.subtask);
  } catch (err) {
    post({ type: 'failed', error: serializeError(err, 'WEIR_USER_FUNCTION', { operator: m.operatorId }) });
  }
}

/** Every enumerator's state for a checkpoint; after every assignment made before it on this port. */
function snapshot(checkpointId: number): void {
  try {
    const states: Record<string, unknown> = {};
    for (const [opId, e] of enumerators) states[opId] = e.snapshotState(checkpointId);
    post({ type: 'snapshot', checkpointId, states });
  } catch (err) {
    post({ type: 'snapshotFailed', checkpointId, error: serializeError(err, 'WEIR_USER_FUNCTION') });
  }
}

port.on('message', (msg: ToCoordinator) => {
  if (msg.type === 'sourceEvent' || msg.type === 'snapshot') {
    // The JobMaster deploys tasks while this thread starts: until the enumerators exist (restored
    // ones included), their events and checkpoints wait, so no snapshot misses an enumerator.
    if (!started) queued.push(msg);
    else if (msg.type === 'sourceEvent') handle(msg);
    else snapshot(msg.checkpointId);
    return;
  }
  if (msg.type === 'close') {
    for (const e of enumerators.values()) void Promise.resolve(e.close?.()).catch(() => undefined);
    return;
  }
  const d = msg.deployment;
  const restored = msg.restored ?? {};
  replayProgram(d).then(
    async (job) => {
      try {
        for (const v of d.jobGraph.vertices) {
          const head = v.operators[0]!;
          if (head.type !== 'source') continue;
          const node = job.streamGraph.node(head.id);
          if (node.spec.type !== 'source') continue;
          const readers = new Set<number>();
          const opId = head.id;
          const enumerator = node.spec.source.createEnumerator(
            {
              currentParallelism: () => v.parallelism,
              registeredReaders: () => [...readers].sort((a, b) => a - b),
              assignSplit: (split, subtask) => post({ type: 'assign', operatorId: opId, subtask, splits: [split] }),
              signalNoMoreSplits: (subtask) => post({ type: 'noMoreSplits', operatorId: opId, subtask }),
            },
            restored[opId],
          );
          const addReader = enumerator.addReader.bind(enumerator);
          enumerator.addReader = (subtask: number) => {
            readers.add(subtask);
            addReader(subtask);
          };
          enumerators.set(opId, enumerator);
          await enumerator.start();
        }
        started = true;
        post({ type: 'ready' });
        for (const q of queued.splice(0)) {
          if (q.type === 'sourceEvent') handle(q);
          else snapshot(q.checkpointId);
        }
      } catch (e) {
        post({ type: 'initFailed', error: serializeError(e, 'WEIR_USER_FUNCTION') });
      }
    },
    (e: unknown) => post({ type: 'initFailed', error: serializeError(e, 'WEIR_PROGRAM_FAILED') }),
  );
});
