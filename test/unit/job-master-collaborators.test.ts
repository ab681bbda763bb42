/**
 * Collaborators of the JobMaster on their own: the stop-with-savepoint manager (event-driven, its
 * deadline on a manual clock), stopJobWithSavepoint settling on the savepoint's outcome, and the
 * collect coordinator dropping what was collected after the checkpoint a restart restores.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobGraph } from '../../src/graph/job-graph.js';
import type { SavepointStatus } from '../../src/runtime/checkpoint/checkpoint-coordinator.js';
import type { LoadedCheckpoint } from '../../src/runtime/checkpoint/storage.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { CollectCoordinator } from '../../src/runtime/jobmanager/collect-coordinator.js';
import { StopWithSavepointManager, stopJobWithSavepoint } from '../../src/runtime/jobmanager/stop-with-savepoint.js';

test('stop with savepoint: tasks that have not ended by the checkpoint timeout are let go; a failed savepoint changes nothing', () => {
  const clock = new ManualClock();
  let attempt = 0;
  let finished = 0;
  const job = { runs: (a: number) => a === attempt, currentAttempt: () => attempt, finish: () => finished++ };
  const m = new StopWithSavepointManager(clock, job, 1000);
  m.onSavepoint({ triggerId: 't', status: 'FAILED', failure: 'x' });
  clock.advance(5000);
  assert.equal(finished, 0, 'the job goes on after a failed savepoint');

  m.onSavepoint({ triggerId: 't', status: 'COMPLETED', location: '/sp' });
  clock.advance(999);
  assert.equal(finished, 0);
  clock.advance(1);
  assert.equal(finished, 1, 'released at the timeout');

  m.onSavepoint({ triggerId: 't', status: 'COMPLETED', location: '/sp' });
  attempt = 1;
  clock.advance(1000);
  assert.equal(finished, 1, 'a newer attempt is not ended by the deadline of an older one');
  m.onSavepoint({ triggerId: 't', status: 'COMPLETED', location: '/sp' });
  m.close();
  clock.advance(1000);
  assert.equal(finished, 1, 'the job ended: no deadline');
});

test('stopJobWithSavepoint settles when the savepoint does, without polling', async () => {
  const job = (outcome: SavepointStatus) => ({
    jobId: 'j1',
    checkpointTimeout: 60_000,
    stopWithSavepoint: (_dir: string | undefined, _drain: boolean, onDone?: (s: SavepointStatus) => void) => {
      setImmediate(() => onDone?.(outcome));
      return 't';
    },
  });
  assert.equal(await stopJobWithSavepoint(job({ triggerId: 't', status: 'COMPLETED', location: '/sp' }), undefined, false), '/sp');
  await assert.rejects(stopJobWithSavepoint(job({ triggerId: 't', status: 'FAILED', failure: 'disk full' }), undefined, false), {
    code: 'WEIR_SAVEPOINT',
    message: 'the savepoint of job j1 failed: disk full',
  });
  const refusing = {
    jobId: 'j1',
    checkpointTimeout: undefined,
    stopWithSavepoint: (): string => {
      throw new Error('not running');
    },
  };
  await assert.rejects(stopJobWithSavepoint(refusing, undefined, false), /not running/);
});

const graph = {
  vertices: [{ id: 'sink', operators: [{ id: 'c', collectLimit: { collectId: 'c1', limit: 3 } }] }],
} as unknown as JobGraph;
const checkpoint = (id: number): LoadedCheckpoint => ({ dir: `/chk-${id}`, metadata: { checkpointId: id } }) as unknown as LoadedCheckpoint;

test('collect coordinator: a restore drops what was collected after the restored checkpoint; limits cut the result', () => {
  const c = new CollectCoordinator(graph, true);
  c.add('c1', 'sink/0', [1]);
  c.acknowledged(1, 'sink/0');
  c.add('c1', 'sink/0', [2]);
  c.commit(1, new Set(['sink/0']), () => false);
  assert.equal(c.limitsReached(), false);
  c.restore(checkpoint(1), 1);
  c.add('c1', 'sink/0', [2, 3, 4]);
  assert.equal(c.limitsReached(), true);
  assert.deepEqual(c.result(), { c1: [1, 2, 3] }, 'the record after checkpoint 1 is collected once; the limit cuts the rest');

  const plain = new CollectCoordinator(graph, false);
  plain.add('c1', undefined, ['a']);
  plain.resetAttempt();
  plain.add('c1', undefined, ['b']);
  assert.deepEqual(plain.result(), { c1: ['b'] }, 'without checkpoints a restart starts the collection over');
});
