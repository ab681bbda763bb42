/**
 * The CheckpointCoordinator with a fake JobMaster: trigger order (enumerators first, then the
 * sources), completion on the last acknowledgement with _metadata written, retention, declines and
 * timeouts against tolerable-failed-checkpoints, finished tasks, failover, statistics, and the
 * shared-file registry of lsm incremental checkpoints. Time is a manual clock: timers (the
 * checkpoint timeout, a savepoint's or the final checkpoint's immediate trigger) fire when a test
 * advances it; only file I/O is waited for.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  CheckpointCoordinator,
  checkpointingOptions,
  type CheckpointCoordinatorHooks,
  type CheckpointTask,
  type CheckpointingOptions,
} from '../../src/runtime/checkpoint/checkpoint-coordinator.js';
import { loadCheckpoint } from '../../src/runtime/checkpoint/storage.js';
import { ManualClock } from '../../src/runtime/clock.js';
import type { WeirError } from '../../src/errors.js';
import type { JobGraph } from '../../src/graph/job-graph.js';
import type { ExecutionState } from '../../src/runtime/rpc/messages.js';
import { waitFor } from '../helpers/wait.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const jobGraph = {
  jobName: 'test-job',
  type: 'STREAMING',
  vertices: [
    {
      id: 'src',
      name: 'Source',
      parallelism: 2,
      maxParallelism: 128,
      operators: [{ id: 'src', name: 'Source' }],
      inputs: [],
      isSource: true,
    },
    {
      id: 'sink',
      name: 'Sink',
      parallelism: 2,
      maxParallelism: 128,
      operators: [{ id: 'sink', name: 'Sink' }],
      inputs: ['e'],
      isSource: false,
    },
  ],
  edges: [],
} as unknown as JobGraph;

interface Harness {
  cc: CheckpointCoordinator;
  events: string[];
  states: Map<string, ExecutionState>;
  failures: WeirError[];
  base: string;
  clock: ManualClock;
}

function harness(overrides: Partial<CheckpointingOptions> = {}): Harness {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cc-'));
  dirs.push(base);
  const states = new Map<string, ExecutionState>();
  for (const v of jobGraph.vertices) for (let s = 0; s < v.parallelism; s++) states.set(`${v.id}/${s}`, 'RUNNING');
  const events: string[] = [];
  const failures: WeirError[] = [];
  const hooks: CheckpointCoordinatorHooks = {
    tasks: () =>
      jobGraph.vertices.flatMap((v) =>
        [0, 1].map((s): CheckpointTask => ({ vertexId: v.id, subtask: s, state: states.get(`${v.id}/${s}`)!, isSource: v.isSource })),
      ),
    snapshotCoordinator: (id, done) => {
      events.push(`enumerators ${id}`);
      setImmediate(() => done({ src: { splits: [`left-${id}`] } }));
    },
    triggerTask: (v, s, id) => events.push(`trigger ${v}/${s} ${id}`),
    notifyComplete: (id) => events.push(`complete ${id}`),
    notifyAborted: (id) => events.push(`abort ${id}`),
    failJob: (e) => failures.push(e),
  };
  const options: CheckpointingOptions = {
    interval: 60_000,
    mode: 'EXACTLY_ONCE',
    timeout: 60_000,
    minPause: 0,
    maxConcurrent: 1,
    tolerableFailures: 0,
    numRetained: 1,
    retention: 'NO_EXTERNALIZED_CHECKPOINTS',
    baseDir: base,
    ...overrides,
  };
  const clock = new ManualClock();
  const cc = new CheckpointCoordinator(options, jobGraph, 'job', hooks, clock);
  return { cc, events, states, failures, base, clock };
}

function ackAll(h: Harness, id: number, except: string[] = []): void {
  for (const v of ['src', 'sink']) {
    for (const s of [0, 1]) {
      if (except.includes(`${v}/${s}`)) continue;
      const file = `${v}-${s}.state`;
      fs.writeFileSync(path.join(h.cc.storage.checkpointDir(id), file), 'x');
      h.cc.acknowledge(v, s, id, { file, size: 1 }, { syncMs: 0, asyncMs: 0, alignmentMs: 0 });
    }
  }
}

test('checkpointing options: Flink keys with their defaults; BATCH takes no checkpoints', () => {
  const o = checkpointingOptions(
    (k) => ({ 'execution.checkpointing.interval': 500, 'execution.checkpointing.dir': '/x' })[k],
    'STREAMING',
  )!;
  assert.deepEqual(
    { ...o },
    {
      interval: 500,
      mode: 'EXACTLY_ONCE',
      timeout: 600_000,
      minPause: 0,
      maxConcurrent: 1,
      tolerableFailures: 0,
      numRetained: 1,
      retention: 'NO_EXTERNALIZED_CHECKPOINTS',
      baseDir: '/x',
      stateBackend: 'hashmap',
    },
  );
  assert.equal(
    checkpointingOptions(() => undefined, 'STREAMING'),
    undefined,
  );
  assert.equal(
    checkpointingOptions((k) => (k === 'execution.checkpointing.interval' ? 500 : undefined), 'BATCH'),
    undefined,
  );
});

test('a checkpoint snapshots the enumerators, then triggers the sources; it completes when every task acknowledged', async () => {
  const h = harness();
  h.cc.start();
  assert.equal(h.cc.tryTrigger(), 1);
  await waitFor('enumerators and both sources', 5_000, () => h.events.length === 3);
  assert.deepEqual(
    h.events,
    ['enumerators 1', 'trigger src/0 1', 'trigger src/1 1'],
    'only the sources are triggered, after the enumerators',
  );
  assert.equal(h.cc.tryTrigger(), undefined, 'max-concurrent-checkpoints 1');
  ackAll(h, 1, ['sink/1']);
  await h.cc.quiesce();
  assert.equal(h.cc.latestCompleted(), undefined, 'one task has not acknowledged');
  assert.equal(fs.existsSync(path.join(h.cc.storage.checkpointDir(1), '_metadata')), false);
  ackAll(h, 1, ['src/0', 'src/1', 'sink/0']);
  await waitFor('completion', 5_000, () => h.cc.latestCompleted() !== undefined);
  assert.deepEqual(h.events.slice(3), ['complete 1']);

  const cp = await loadCheckpoint(h.cc.storage.checkpointDir(1));
  assert.equal(cp.metadata.checkpointId, 1);
  assert.deepEqual(cp.metadata.operators.src!.files, ['src-0.state', 'src-1.state']);
  assert.deepEqual(cp.metadata.operators.src!.coordinator, { splits: ['left-1'] });
  assert.equal(cp.metadata.operators.sink!.coordinator, undefined);

  // The next one subsumes it: num-retained 1 deletes chk-1.
  assert.equal(h.cc.tryTrigger(), 2);
  await waitFor('trigger 2', 5_000, () => h.events.includes('trigger src/1 2'));
  ackAll(h, 2);
  await waitFor('completion of 2', 5_000, () => h.cc.latestCompleted()?.id === 2);
  await waitFor('chk-1 deleted', 5_000, () => !fs.existsSync(h.cc.storage.checkpointDir(1)));

  const stats = h.cc.stats();
  assert.deepEqual(stats.counts, { restored: 0, total: 2, completed: 2, failed: 0, in_progress: 0 });
  assert.equal(stats.latest.completed!.id, 2);
  assert.equal(stats.latest.completed!.status, 'COMPLETED');
  assert.equal(stats.latest.completed!.num_acknowledged_subtasks, 4);
  assert.deepEqual(
    stats.history.map((e) => [e.id, e.status, e.discarded]),
    [
      [2, 'COMPLETED', false],
      [1, 'COMPLETED', true],
    ],
  );
  await h.cc.shutdown('FINISHED');
  assert.equal(fs.existsSync(h.cc.jobDir), false, 'a finished job leaves no checkpoint');
});

test('a declined checkpoint is aborted and, beyond tolerable-failed-checkpoints, fails the job', async () => {
  const h = harness({ tolerableFailures: 1 });
  h.cc.start();
  h.cc.tryTrigger();
  await waitFor('trigger', 5_000, () => h.events.includes('trigger src/1 1'));
  h.cc.decline('sink', 0, 1, 'disk full');
  assert.ok(h.events.includes('abort 1'));
  assert.equal(h.failures.length, 0, 'one failure is tolerated');
  await waitFor('chk-1 deleted', 5_000, () => !fs.existsSync(h.cc.storage.checkpointDir(1)));
  h.cc.tryTrigger();
  await waitFor('trigger 2', 5_000, () => h.events.includes('trigger src/1 2'));
  h.cc.decline('src', 1, 2, 'disk full');
  assert.equal(h.failures.length, 1);
  assert.match(h.failures[0]!.message, /More than 1 consecutive checkpoints failed.*disk full/);
  assert.equal(h.failures[0]!.code, 'WEIR_CHECKPOINT');
  assert.equal(h.cc.stats().counts.failed, 2);
  assert.equal(h.cc.stats().latest.failed!.failure_message, 'task src (subtask 1) declined checkpoint 2: disk full');
  h.cc.stop('test over');
});

test('a checkpoint that times out is aborted; a failover aborts pending ones without counting them', async () => {
  const h = harness({ timeout: 30, tolerableFailures: 5 });
  h.cc.start();
  h.cc.tryTrigger();
  h.clock.advance(29);
  assert.ok(!h.events.includes('abort 1'), 'not yet expired');
  h.clock.advance(1);
  assert.ok(h.events.includes('abort 1'), 'timeout');
  assert.match(h.cc.stats().latest.failed!.failure_message!, /expired/);
  h.cc.tryTrigger();
  await waitFor('trigger 2', 5_000, () => h.events.includes('trigger src/1 2'));
  h.cc.stop('failover');
  assert.equal(h.cc.stats().counts.in_progress, 0);
  assert.ok(!h.events.includes('abort 2'), 'tasks of a failed attempt are not told');
  assert.equal(h.failures.length, 0);
});

test('tasks must all be running; a finished task is not waited for; end of data triggers the final checkpoint at once', async () => {
  const h = harness({ interval: 60_000 });
  h.states.set('sink/1', 'INITIALIZING');
  h.cc.start();
  assert.equal(h.cc.tryTrigger(), undefined, 'not all tasks are running');
  h.states.set('sink/1', 'RUNNING');
  h.states.set('src/0', 'FINISHED');
  assert.equal(h.cc.tryTrigger(), 1);
  await waitFor('trigger', 5_000, () => h.events.includes('trigger src/1 1'));
  assert.ok(!h.events.includes('trigger src/0 1'), 'a finished source is not triggered');
  ackAll(h, 1, ['src/0', 'sink/1']);
  h.states.set('sink/1', 'FINISHED');
  h.cc.onTaskFinished('sink', 1);
  await waitFor('completed without the finished tasks', 5_000, () => h.cc.latestCompleted()?.id === 1);
  const cp = await loadCheckpoint(h.cc.storage.checkpointDir(1));
  assert.deepEqual(cp.metadata.operators.sink!.finished, [1]);
  assert.deepEqual(cp.metadata.operators.src!.files, [null, 'src-1.state']);

  // The last running source reached its end of data: the next checkpoint starts now, not after the interval.
  h.cc.onEndOfData('src', 1);
  h.clock.advance(0);
  await waitFor('the final checkpoint', 5_000, () => h.events.includes('trigger src/1 2'));
  h.cc.stop('done');
});

test('retention: a cancelled job keeps its checkpoints only with RETAIN_ON_CANCELLATION, a failed one unless NO_EXTERNALIZED', async () => {
  for (const [retention, status, kept] of [
    ['RETAIN_ON_CANCELLATION', 'CANCELED', true],
    ['DELETE_ON_CANCELLATION', 'CANCELED', false],
    ['DELETE_ON_CANCELLATION', 'FAILED', true],
    ['NO_EXTERNALIZED_CHECKPOINTS', 'FAILED', false],
    ['RETAIN_ON_CANCELLATION', 'FINISHED', false],
  ] as const) {
    const h = harness({ retention });
    h.cc.start();
    h.cc.tryTrigger();
    await waitFor('trigger', 5_000, () => h.events.includes('trigger src/1 1'));
    ackAll(h, 1);
    await waitFor('completion', 5_000, () => h.cc.latestCompleted() !== undefined);
    await h.cc.shutdown(status);
    assert.equal(fs.existsSync(path.join(h.cc.storage.checkpointDir(1), '_metadata')), kept, `${retention} ${status}`);
  }
});

test('shared files: deleted once no retained checkpoint refers to them; uploads of failed checkpoints are swept', async () => {
  const h = harness({ numRetained: 2 });
  const shared = h.cc.storage.sharedDir;
  fs.mkdirSync(shared, { recursive: true });
  const put = (...names: string[]): void => {
    for (const n of names) fs.writeFileSync(path.join(shared, n), 'x');
  };
  const present = (): string[] => fs.readdirSync(shared).sort();
  /** Every task acknowledges `id`; src/0 refers to `files` (lsm incremental state). */
  const ack = (id: number, files: string[]): void => {
    for (const v of ['src', 'sink']) {
      for (const s of [0, 1]) {
        const file = `${v}-${s}.state`;
        fs.writeFileSync(path.join(h.cc.storage.checkpointDir(id), file), 'x');
        const handle =
          v === 'src' && s === 0 ? { file, size: 1, shared: files, sharedBytes: files.length, uploadedBytes: 1 } : { file, size: 1 };
        h.cc.acknowledge(v, s, id, handle, { syncMs: 0, asyncMs: 0, alignmentMs: 0 });
      }
    }
  };
  const checkpoint = async (id: number, files: string[]): Promise<void> => {
    assert.equal(h.cc.tryTrigger(), id);
    await waitFor(`trigger ${id}`, 5_000, () => h.events.includes(`trigger src/1 ${id}`));
    ack(id, files);
    await waitFor(`completion of ${id}`, 5_000, () => h.cc.latestCompleted()?.id === id);
    await h.cc.quiesce();
  };
  h.cc.start();
  put('a-chk-1-000005.ldb', 'a-chk-1.lsm.json', 'a-chk-1-MANIFEST-000003');
  await checkpoint(1, ['a-chk-1.lsm.json', 'a-chk-1-MANIFEST-000003', 'a-chk-1-000005.ldb']);
  // Checkpoint 2 refers to the table file of checkpoint 1 and uploads one of its own.
  put('a-chk-2-000007.ldb', 'a-chk-2.lsm.json', 'a-chk-2-MANIFEST-000003');
  await checkpoint(2, ['a-chk-2.lsm.json', 'a-chk-2-MANIFEST-000003', 'a-chk-1-000005.ldb', 'a-chk-2-000007.ldb']);
  assert.equal(present().length, 6, 'both checkpoints are retained');
  // An upload of a checkpoint that failed (3), and one under way for a later one (6).
  put('b-chk-3-000009.ldb', 'a-chk-6-000011.ldb');
  put('a-chk-4-000010.ldb', 'a-chk-4.lsm.json', 'a-chk-4-MANIFEST-000003');
  h.cc.tryTrigger(); // 3
  await waitFor('trigger 3', 5_000, () => h.events.includes('trigger src/1 3'));
  h.cc.decline('sink', 0, 3, 'test');
  await waitFor('abort 3', 5_000, () => h.events.includes('abort 3'));
  h.failures.length = 0;
  // Checkpoint 4 no longer refers to 000005, but checkpoint 2, still retained, does.
  await checkpoint(4, ['a-chk-4.lsm.json', 'a-chk-4-MANIFEST-000003', 'a-chk-2-000007.ldb', 'a-chk-4-000010.ldb']);
  await waitFor('the sweep', 5_000, () => !present().includes('b-chk-3-000009.ldb'));
  assert.deepEqual(present(), [
    'a-chk-1-000005.ldb',
    'a-chk-2-000007.ldb',
    'a-chk-2-MANIFEST-000003',
    'a-chk-2.lsm.json',
    'a-chk-4-000010.ldb',
    'a-chk-4-MANIFEST-000003',
    'a-chk-4.lsm.json',
    'a-chk-6-000011.ldb',
  ]);
  // Checkpoint 5 subsumes 2: its own files and 000005 go (000007 stays: checkpoint 4 refers to it); the upload for 6 is left alone.
  put('a-chk-5.lsm.json');
  await checkpoint(5, ['a-chk-5.lsm.json', 'a-chk-4-000010.ldb']);
  await waitFor('the files of checkpoint 2 to be deleted', 5_000, () => !present().includes('a-chk-1-000005.ldb'));
  assert.deepEqual(present(), [
    'a-chk-2-000007.ldb',
    'a-chk-4-000010.ldb',
    'a-chk-4-MANIFEST-000003',
    'a-chk-4.lsm.json',
    'a-chk-5.lsm.json',
    'a-chk-6-000011.ldb',
  ]);
  const latest = h.cc.stats().latest.completed!;
  assert.equal(latest.state_size, 4 + 2, 'state size counts the shared files referred to');
  assert.equal(latest.checkpointed_size, 4 + 1, 'checkpointed size counts what was uploaded');
  await h.cc.shutdown('FINISHED');
});

test('savepoints are in the statistics: in history with is_savepoint, in latest.savepoint (not latest.completed), in the counts', async () => {
  const h = harness();
  h.cc.start();
  assert.equal(h.cc.tryTrigger(), 1);
  await waitFor('trigger 1', 5_000, () => h.events.includes('trigger src/1 1'));
  ackAll(h, 1);
  await waitFor('checkpoint 1', 5_000, () => h.cc.latestCompleted()?.id === 1);

  const target = path.join(h.base, 'savepoints');
  const triggerId = h.cc.triggerSavepoint(target);
  h.clock.advance(0);
  await waitFor('the savepoint triggered', 5_000, () => h.events.includes('trigger src/1 2'));
  const pending = h.cc.stats();
  assert.equal(pending.history[0]!.is_savepoint, true);
  assert.equal(pending.history[0]!.checkpoint_type, 'SAVEPOINT');
  assert.equal(pending.counts.in_progress, 1);
  ackAll(h, 2);
  await waitFor('the savepoint', 5_000, () => h.cc.savepointStatus(triggerId)?.status === 'COMPLETED');
  const location = h.cc.savepointStatus(triggerId)!.location!;

  const stats = h.cc.stats();
  assert.deepEqual(stats.counts, { restored: 0, total: 2, completed: 2, failed: 0, in_progress: 0 });
  const sp = stats.latest.savepoint;
  assert.ok(sp, JSON.stringify(stats.latest));
  assert.equal(sp.id, 2);
  assert.equal(sp.status, 'COMPLETED');
  assert.equal(sp.is_savepoint, true);
  assert.equal(sp.savepointFormat, 'CANONICAL');
  assert.equal(sp.checkpoint_type, 'SAVEPOINT');
  assert.equal(sp.external_path, location);
  assert.equal(stats.latest.completed!.id, 1, 'latest.completed is the latest checkpoint, as in Flink');
  assert.equal(stats.latest.completed!.is_savepoint, false);
  assert.deepEqual(
    stats.history.map((e) => [e.id, e.is_savepoint, e.checkpoint_type]),
    [
      [2, true, 'SAVEPOINT'],
      [1, false, 'CHECKPOINT'],
    ],
  );

  // Stop with savepoint is Flink's synchronous savepoint.
  const stopId = h.cc.triggerSavepoint(target, { stop: true });
  h.clock.advance(0);
  await waitFor('the stop savepoint triggered', 5_000, () => h.events.includes('trigger src/1 3'));
  ackAll(h, 3);
  await waitFor('the stop savepoint', 5_000, () => h.cc.savepointStatus(stopId)?.status === 'COMPLETED');
  const after = h.cc.stats();
  assert.equal(after.latest.savepoint!.id, 3);
  assert.equal(after.latest.savepoint!.checkpoint_type, 'SYNC_SAVEPOINT');
  assert.equal(after.counts.completed, 3);
  await h.cc.shutdown('FINISHED');
});
