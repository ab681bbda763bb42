/**
 * User accumulators (Flink's addAccumulator / getAccumulator with IntCounter, LongCounter,
 * DoubleCounter, Histogram): merged over every subtask into the job's result that execute()
 * returns, refused when a task registers a name twice, and shown live by the REST API
 * (`/jobs/:id/accumulators`, per vertex and per subtask) while the job runs on a real cluster.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { applicationJobId } from '../../dist/runtime/jobmanager/dispatcher.js';
import { cleanup, notePid, tempDir, weir } from './deploy-helpers.js';
import { waitFor } from '../helpers/wait.js';

const PROGRAM = 'test/programs/accumulators.ts';
const dir = tempDir('weir-accumulators-');
after(() => cleanup());

test("execute() returns the accumulators merged over the job's subtasks", () => {
  const r = weir('run', PROGRAM, '--', 'ok', '1000');
  assert.equal(r.code, 0, r.out);
  const line = /ACCUMULATORS (.*)/.exec(r.out)?.[1];
  assert.ok(line, r.out);
  // 0..999 over two subtasks: 1000 records, their sum, 0.5 each, and how many of each value mod 3.
  assert.deepEqual(JSON.parse(line), { records: 1000, sum: 499500, halves: 500, mod3: { 0: 334, 1: 333, 2: 333 }, helper: 2000 });
});

test('a task that registers an accumulator name twice fails with a clear error', () => {
  const r = weir('run', PROGRAM, '--', 'duplicate', '100');
  assert.notEqual(r.code, 0);
  assert.match(r.out, /The accumulator 'records' already exists in task .* and cannot be added\. \[WEIR_USER_FUNCTION\]/);
});

test('the REST API shows the accumulators of a running job, per job, vertex and subtask', async () => {
  const r = weir(
    'run',
    '-d',
    '-t',
    'process-application',
    '-D',
    `process.working-dir=${join(dir, 'work')}`,
    PROGRAM,
    '--',
    'ok',
    '100000000',
    '400',
  );
  assert.equal(r.code, 0, r.out);
  const m = /Started application cluster (\S+) \(JobManager pid (\d+)\) — (\S+)/.exec(r.out);
  assert.ok(m, r.out);
  notePid(Number(m[2]));
  const url = m[3]!;
  const jobId = applicationJobId(m[1]!, 0);
  type Acc = { name: string; type: string; value: string };
  const get = async <T>(p: string): Promise<T | undefined> => {
    const res = await fetch(`${url}${p}`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as T) : undefined;
  };
  try {
    const job = await waitFor('accumulators of the running job', 60_000, async () => {
      const a = await get<{ 'user-task-accumulators': Acc[] }>(`/jobs/${jobId}/accumulators`);
      const records = a?.['user-task-accumulators'].find((x) => x.name === 'records');
      return records && Number(records.value) > 0 ? a : undefined;
    });
    const byName = new Map(job['user-task-accumulators'].map((a) => [a.name, a]));
    assert.deepEqual([...byName.keys()].sort(), ['halves', 'helper', 'mod3', 'records', 'sum']);
    assert.equal(byName.get('records')!.type, 'IntCounter');
    assert.equal(byName.get('sum')!.type, 'LongCounter');
    assert.equal(byName.get('halves')!.type, 'DoubleCounter');
    assert.equal(byName.get('mod3')!.type, 'Histogram');
    assert.match(byName.get('mod3')!.value, /^\{0=\d+, 1=\d+, 2=\d+\}$/);
    const serialized = await get<{ 'serialized-user-task-accumulators': Record<string, string> }>(
      `/jobs/${jobId}/accumulators?includeSerializedValue=true`,
    );
    assert.ok(serialized!['serialized-user-task-accumulators'].records);

    const details = (await get<{ vertices: { id: string }[] }>(`/jobs/${jobId}`))!;
    const vid = details.vertices[0]!.id;
    const vertex = (await get<{ 'user-accumulators': Acc[] }>(`/jobs/${jobId}/vertices/${vid}/accumulators`))!;
    assert.ok(vertex['user-accumulators'].some((a) => a.name === 'records'));
    // Each subtask's accumulators arrive with its own metrics report, so the two may land apart.
    const subtasks = await waitFor('both subtasks to report their accumulators', 30_000, async () => {
      const s = await get<{ subtasks: { subtask: number; 'user-accumulators': Acc[] }[] }>(
        `/jobs/${jobId}/vertices/${vid}/subtasks/accumulators`,
      );
      return s && s.subtasks.length === 2 && s.subtasks.every((x) => x['user-accumulators'].length > 0) ? s : undefined;
    });
    assert.equal(subtasks.subtasks.length, 2);
    for (const s of subtasks.subtasks)
      assert.ok(
        s['user-accumulators'].some((a) => a.name === 'records'),
        JSON.stringify(s),
      );
  } finally {
    await fetch(`${url}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' }).catch(() => undefined);
  }
});
