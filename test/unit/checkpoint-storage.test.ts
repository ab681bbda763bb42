/**
 * Checkpoint storage (directories, atomic _metadata, loading the latest completed checkpoint),
 * state assignment on restore (key-group ranges, split and union lists, rescaling) and the
 * task-side barrier alignment.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BarrierAligner, type Barrier } from '../../src/runtime/checkpoint/barrier-aligner.js';
import { assignOperatorState, taskRestoreFor } from '../../src/runtime/checkpoint/state-assignment.js';
import {
  CheckpointStorage,
  latestCompletedIn,
  loadCheckpoint,
  newMetadata,
  packState,
  readSubtaskState,
  resolveCheckpointBaseDir,
  subtaskStateFile,
  writeSubtaskState,
  type CheckpointMetadata,
} from '../../src/runtime/checkpoint/storage.js';
import { assignToKeyGroup, keyGroupRangeForSubtask, normalizeKey } from '../../src/graph/key-groups.js';
import type { JobVertex } from '../../src/graph/job-graph.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cp-storage-'));
  dirs.push(d);
  return d;
}

function metadata(jobId: string, checkpointId: number, operators: CheckpointMetadata['operators'] = {}): CheckpointMetadata {
  return newMetadata({ jobId, jobName: 'j', checkpointId, timestamp: 1, completedAt: 2, mode: 'EXACTLY_ONCE', operators });
}

test('execution.checkpointing.dir: plain paths, file:// and s3:// URIs; other schemes are refused', () => {
  assert.equal(resolveCheckpointBaseDir('/tmp/x'), '/tmp/x');
  assert.equal(resolveCheckpointBaseDir('file:///tmp/y'), '/tmp/y');
  assert.equal(resolveCheckpointBaseDir(pathToFileURL('/tmp/with space').href), '/tmp/with space');
  assert.equal(resolveCheckpointBaseDir('rel'), path.resolve('rel'));
  assert.equal(resolveCheckpointBaseDir(undefined), path.join(os.tmpdir(), 'weir-checkpoints'));
  assert.equal(resolveCheckpointBaseDir('s3://bucket//cp/'), 's3://bucket/cp');
  assert.equal(resolveCheckpointBaseDir('s3a://bucket/cp'), 's3://bucket/cp');
  assert.throws(
    () => resolveCheckpointBaseDir('hdfs://nn/cp'),
    (e: Error & { code?: string }) => e.code === 'WEIR_CONFIG_BAD_VALUE' && /no file system for the scheme 'hdfs:\/\/'/.test(e.message),
  );
});

test('a checkpoint is one directory per job and checkpoint; _metadata is written last and atomically', async () => {
  const base = tmp();
  const s = new CheckpointStorage(base, 'job1');
  const dir = await s.initCheckpoint(3);
  assert.equal(dir, path.join(base, 'job1', 'chk-3'));
  await writeSubtaskState(dir, 'v-0-0.state', packState(subtaskStateFile(3, 'v', 0, { op: { lists: {} } })));
  // Without _metadata the checkpoint does not exist for a restore.
  await assert.rejects(loadCheckpoint(dir), /no completed checkpoint/);
  assert.equal(await latestCompletedIn(path.join(base, 'job1')), undefined);

  await s.writeMetadata(metadata('job1', 3));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['_metadata', 'v-0-0.state'], 'no temporary file left');
  const byDir = await loadCheckpoint(dir);
  assert.equal(byDir.metadata.checkpointId, 3);
  assert.equal(byDir.dir, dir);
  assert.equal((await loadCheckpoint(path.join(dir, '_metadata'))).dir, dir);
  assert.equal((await loadCheckpoint(pathToFileURL(dir).href)).dir, dir);

  // A newer, half-written checkpoint (no _metadata) is never used: the job directory resolves to chk-3.
  await s.initCheckpoint(4);
  await writeSubtaskState(s.checkpointDir(4), 'v-0-0.state', new Uint8Array([1, 2, 3]));
  assert.equal((await loadCheckpoint(path.join(base, 'job1'))).metadata.checkpointId, 3);
  await assert.rejects(s.writeMetadata(metadata('job1', 5)), 'chk-5/ was never created');
  assert.equal((await loadCheckpoint(path.join(base, 'job1'))).metadata.checkpointId, 3, 'chk-5 was never created');

  const file = await readSubtaskState(path.join(dir, 'v-0-0.state'));
  assert.deepEqual(file.operators, { op: { lists: {} } });
  await assert.rejects(readSubtaskState(path.join(s.checkpointDir(4), 'v-0-0.state')));

  await s.discard(3);
  assert.equal(fs.existsSync(dir), false);
  await assert.rejects(loadCheckpoint(path.join(base, 'job1')), /no completed checkpoint/);
  await s.discardAll();
  assert.equal(fs.existsSync(path.join(base, 'job1')), false);
  // Writing into a discarded checkpoint fails (a late task of an aborted checkpoint leaves nothing behind).
  await assert.rejects(writeSubtaskState(dir, 'late.state', new Uint8Array(1)));
});

test('restore: keyed state by key-group range, split lists per subtask or round robin, union lists to all', async () => {
  const base = tmp();
  const s = new CheckpointStorage(base, 'job2');
  const dir = await s.initCheckpoint(7);
  const maxP = 128;
  const oldP = 2;
  const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
  const files: string[] = [];
  for (let sub = 0; sub < oldP; sub++) {
    const range = keyGroupRangeForSubtask(maxP, oldP, sub);
    const mine = keys.filter((k) => {
      const kg = assignToKeyGroup(normalizeKey(k), maxP);
      return kg >= range.start && kg <= range.end;
    });
    const states = [{ name: 'count', kind: 'value', entries: mine.map((k) => [assignToKeyGroup(normalizeKey(k), maxP), k, '', k.length]) }];
    const timers = { services: [] };
    const name = `v-${sub}-0.state`;
    await writeSubtaskState(
      dir,
      name,
      packState(
        subtaskStateFile(7, 'v', sub, {
          op: {
            keyed: { maxParallelism: maxP, keyGroupRange: range, data: packState({ states, timers }) },
            lists: {
              splits: { mode: 'split', data: packState([`s${sub}a`, `s${sub}b`, `s${sub}c`]) },
              everything: { mode: 'union', data: packState([`u${sub}`]) },
            },
          },
        }),
      ),
    );
    files.push(name);
  }
  const ops = { op: { name: 'op', vertexId: 'v', parallelism: oldP, maxParallelism: maxP, files, finished: [] } };
  await s.writeMetadata(metadata('job2', 7, ops));
  const cp = await loadCheckpoint(dir);
  const vertex = { id: 'v', operators: [{ id: 'op' }, { id: 'new-op' }] } as unknown as JobVertex;
  const restore = taskRestoreFor(cp, vertex)!;
  assert.deepEqual(Object.keys(restore.operators), ['op'], 'an operator without state in the checkpoint gets none');
  assert.equal(restore.checkpointId, 7);
  const read = async (f: string) => readSubtaskState(f);

  // Same parallelism: each subtask gets its own split list and all union lists.
  const same = await assignOperatorState('op', 'op', restore.operators.op!, 1, 2, maxP, read);
  assert.deepEqual(same.lists.get('splits'), ['s1a', 's1b', 's1c']);
  assert.deepEqual(same.lists.get('everything'), ['u0', 'u1']);

  // Rescaled to 3: keyed entries whose key group is outside the new range are left out; splits go round robin.
  const seen = new Set<string>();
  const splitShares: unknown[][] = [];
  for (let sub = 0; sub < 3; sub++) {
    const a = await assignOperatorState('op', 'op', restore.operators.op!, sub, 3, maxP, read);
    assert.deepEqual(a.keyGroupRange, keyGroupRangeForSubtask(maxP, 3, sub));
    for (const part of a.keyed) {
      for (const [kg, key] of part.states[0]!.entries) {
        if (kg >= a.keyGroupRange.start && kg <= a.keyGroupRange.end) {
          assert.ok(!seen.has(key as string), 'each key restored once');
          seen.add(key as string);
        }
      }
    }
    splitShares.push(a.lists.get('splits')!);
    assert.deepEqual(a.lists.get('everything'), ['u0', 'u1']);
  }
  assert.deepEqual(seen, new Set(keys));
  assert.deepEqual(splitShares.flat().sort(), ['s0a', 's0b', 's0c', 's1a', 's1b', 's1c']);
  assert.deepEqual(
    splitShares.map((x) => x.length),
    [2, 2, 2],
  );

  // Another max parallelism cannot take keyed state.
  await assert.rejects(assignOperatorState('op', 'op', restore.operators.op!, 0, 2, 256, read), /max parallelism/);
});

// ---------------------------------------------------------------- barrier alignment

function aligner(n: number) {
  const events: string[] = [];
  const a = new BarrierAligner(n, {
    aligned: (b) => events.push(`aligned ${b.id}`),
    cancelled: (id) => events.push(`cancelled ${id}`),
  });
  return { a, events };
}
const barrier = (id: number, mode: Barrier['mode'] = 'EXACTLY_ONCE'): Barrier => ({ t: 'barrier', id, timestamp: 0, mode });

test('EXACTLY_ONCE: a channel is blocked after its barrier until every channel delivered it', () => {
  const { a, events } = aligner(3);
  a.onBarrier(1, barrier(1));
  assert.equal(a.isBlocked(1), true);
  assert.equal(a.isBlocked(0), false);
  assert.equal(a.pendingCheckpoint, 1);
  a.onBarrier(0, barrier(1));
  assert.deepEqual(events, []);
  a.onBarrier(2, barrier(1));
  assert.deepEqual(events, ['aligned 1']);
  assert.equal(
    [0, 1, 2].some((c) => a.isBlocked(c)),
    false,
    'released',
  );
  // Late or repeated barriers of a handled checkpoint change nothing.
  a.onBarrier(0, barrier(1));
  assert.equal(a.isBlocked(0), false);
});

test('AT_LEAST_ONCE blocks nothing and snapshots on the last barrier', () => {
  const { a, events } = aligner(2);
  a.onBarrier(0, barrier(4, 'AT_LEAST_ONCE'));
  assert.equal(a.isBlocked(0), false);
  a.onBarrier(1, barrier(4, 'AT_LEAST_ONCE'));
  assert.deepEqual(events, ['aligned 4']);
});

test('a finished channel counts as aligned; a newer barrier cancels the alignment; an abort releases', () => {
  const { a, events } = aligner(3);
  a.onEndOfPartition(2);
  a.onBarrier(0, barrier(1));
  a.onBarrier(1, barrier(1));
  assert.deepEqual(events, ['aligned 1']);

  a.onBarrier(0, barrier(2));
  assert.equal(a.isBlocked(0), true);
  a.onBarrier(0, barrier(3));
  assert.deepEqual(events, ['aligned 1', 'cancelled 2']);
  assert.equal(a.isBlocked(0), true, 'blocked for checkpoint 3 now');
  a.onEndOfPartition(1);
  assert.deepEqual(events, ['aligned 1', 'cancelled 2', 'aligned 3'], 'channel 1 ended: 3 is aligned');

  const { a: b, events: e2 } = aligner(2);
  b.onBarrier(0, barrier(5));
  assert.equal(b.isBlocked(0), true);
  b.abort(5);
  assert.equal(b.isBlocked(0), false);
  b.onBarrier(1, barrier(5));
  assert.deepEqual(e2, [], 'barriers of the aborted checkpoint are ignored');
  b.onBarrier(1, barrier(6));
  b.onBarrier(0, barrier(6));
  assert.deepEqual(e2, ['aligned 6']);
});
