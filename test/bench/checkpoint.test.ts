/**
 * The checkpoint benchmark (bench/checkpoint/) at a tiny scale, so that its code keeps working: each
 * measurement runs in its own process as in `npm run bench -- --only checkpoint`, and the figures
 * must be consistent (sizes, entry counts, records, restores), never compared with a time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyseDip } from '../../bench/checkpoint/analysis.js';
import { measureBackend, measureDip, measureRecovery, reportCheckpointSuite } from '../../bench/checkpoint/suite.js';

const KEYS = 10_000;

test('backend snapshots: both backends checkpoint and restore every key; lsm also takes an incremental and a canonical one', async () => {
  const heap = await measureBackend('hashmap', KEYS);
  const lsm = await measureBackend('lsm', KEYS);
  for (const r of [heap, lsm]) {
    assert.equal(r.entries, KEYS, `${r.backend}: every key in state`);
    assert.equal(r.restore.entries, KEYS, `${r.backend}: every key restored`);
    assert.ok(r.full.totalBytes > 0 && r.full.uploadedBytes === r.full.totalBytes, `${r.backend}: the first checkpoint uploads everything`);
    assert.ok(r.full.syncMs >= 0 && r.full.asyncMs >= 0 && r.full.totalMs >= r.full.syncMs, `${r.backend}: phases`);
  }
  assert.equal(heap.incremental, undefined);
  const inc = lsm.incremental!;
  assert.equal(inc.updatedKeys, KEYS / 100);
  assert.ok(inc.uploadedBytes > 0 && inc.uploadedBytes <= inc.totalBytes, JSON.stringify(inc));
  // The canonical snapshot is backend-independent: the same entries make a state file of about the same size.
  const canonical = lsm.canonical!.totalBytes;
  assert.ok(Math.abs(canonical - heap.full.totalBytes) < heap.full.totalBytes * 0.01, `${canonical} vs ${heap.full.totalBytes} bytes`);
});

test('throughput dip: the keyed job loses no record with and without checkpoints; lsm runs or says it is not available', async () => {
  const base = { backend: 'hashmap', records: 300_000, keys: KEYS, parallelism: 1 };
  const checkpointed = await measureDip({ ...base, interval: 100 });
  const baseline = await measureDip({ ...base, interval: 0 });
  for (const r of [checkpointed, baseline]) {
    assert.equal(r.received, r.records, 'every record reached the sink');
    assert.equal(r.finalKeys, KEYS, 'every key reached its final count');
    assert.equal(r.finalCountSum, r.records, 'the counts in state add up to the records');
    assert.equal(
      r.buckets.reduce((a, [, n]) => a + n, 0),
      r.records,
      'the buckets hold every record',
    );
  }
  assert.equal(baseline.checkpoints.length, 0, 'no checkpoint without an interval');
  assert.ok(
    checkpointed.checkpoints.some((c) => c.status === 'COMPLETED' && c.stateSize > 0),
    JSON.stringify(checkpointed.checkpoints),
  );
  const s = analyseDip(baseline, checkpointed);
  assert.ok(s.baselineRate > 0 && Number.isFinite(s.baselineRate), JSON.stringify(s));
  assert.ok(s.dip >= 0 && s.dip <= 1, JSON.stringify(s));
  assert.ok(s.minDuringCheckpointRate >= 0 && s.checkpointsCompleted >= 1, JSON.stringify(s));

  const lsm = await measureDip({ ...base, backend: 'lsm', interval: 100 });
  if (lsm.unavailable !== undefined) assert.match(lsm.unavailable, /lsm/);
  else assert.equal(lsm.finalCountSum, lsm.records);
});

test('recovery: a TaskManager killed with SIGKILL, the job runs again from its checkpoint and loses no state update', async () => {
  const r = await measureRecovery({ kills: 1, parallelism: 1, keys: KEYS, rate: 20_000, restartDelayMs: 50, records: 200_000 });
  assert.equal(r.status, 'FINISHED');
  assert.equal(r.rounds.length, 1);
  assert.ok(r.restored >= 1, 'the job restored from a checkpoint');
  assert.equal(r.finalKeys, KEYS);
  assert.equal(r.finalCountSum, r.records, 'state updates neither lost nor repeated');
  const [x] = r.rounds;
  assert.ok(x!.detectedMs >= 0 && x!.detectedMs <= x!.jobRunningMs, JSON.stringify(x));
  assert.ok(x!.jobRunningMs <= x!.tasksRunningMs && x!.tasksRunningMs <= x!.checkpointMs, JSON.stringify(x));

  // The report renders from these figures.
  const text = reportCheckpointSuite(
    { backends: [], dips: [{ backend: 'lsm', keys: KEYS, unavailable: 'not in this build' }], recovery: r },
    {
      keys: KEYS,
      dipKeys: [KEYS],
      dipRecords: 1,
      dipParallelism: 1,
      dipInterval: 100,
      kills: 1,
      recoveryParallelism: 1,
      recoveryKeys: KEYS,
      recoveryRate: 20_000,
      restartDelayMs: 50,
    },
  ).join('\n');
  assert.match(text, /n\/a \(not available in this build\)/);
  assert.match(text, /job RUNNING again/);
  assert.match(text, /nothing lost or repeated/);
});
