/**
 * Flink's backpressure levels from real measurements: a fast source feeding a deliberately slow
 * sink on a real cluster. The vertices upstream of the sink wait for output buffers most of the
 * time and are `high`. (The sink's own level is left out: the TaskManager counts the time a sink
 * awaits its writes as backpressured, where Flink counts it busy; the metric system measures that.)
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { applicationJobId } from '../../dist/runtime/jobmanager/dispatcher.js';
import { cleanup, notePid, tempDir, weir } from './deploy-helpers.js';
import { waitFor } from '../helpers/wait.js';

const dir = tempDir('weir-rest-backpressure-');
after(() => cleanup());

interface BackPressure {
  backpressureLevel: string;
  subtasks: { ratio: number; backpressureLevel: string }[];
}

test('/backpressure: high upstream of a slow sink', async () => {
  const r = weir('run', '-d', '-t', 'process-application', '-D', `process.working-dir=${join(dir, 'work')}`, 'test/programs/slow-sink.ts');
  assert.equal(r.code, 0, r.out);
  const m = /Started application cluster (\S+) \(JobManager pid (\d+)\) — (\S+)/.exec(r.out);
  assert.ok(m, r.out);
  notePid(Number(m[2]));
  const url = m[3]!;
  const jobId = applicationJobId(m[1]!, 0);
  const get = async <T>(p: string): Promise<T | undefined> => {
    const res = await fetch(`${url}${p}`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as T) : undefined;
  };
  try {
    const job = await waitFor('the job to run', 60_000, async () => {
      const j = await get<{ state: string; vertices: { id: string; name: string }[] }>(`/jobs/${jobId}`);
      return j?.state === 'RUNNING' ? j : undefined;
    });
    const pass = job.vertices.find((v) => v.name === 'pass')!;
    const sink = job.vertices.find((v) => v.name.includes('slow sink'))!;
    const upstream = await waitFor('the vertex upstream of the sink to be backpressured', 30_000, async () => {
      const bp = await get<BackPressure>(`/jobs/${jobId}/vertices/${pass.id}/backpressure`);
      return bp?.backpressureLevel === 'high' ? bp : undefined;
    });
    assert.ok(upstream.subtasks[0]!.ratio > 0.5, JSON.stringify(upstream));
    const atSink = (await get<BackPressure>(`/jobs/${jobId}/vertices/${sink.id}/backpressure`))!;
    assert.equal(atSink.subtasks.length, 1);
    assert.ok(['ok', 'low', 'high'].includes(atSink.backpressureLevel));
    // The accumulated backpressured time of the vertex grows with it.
    const details = (await get<{ vertices: { id: string; metrics: { 'accumulated-backpressured-time': number } }[] }>(`/jobs/${jobId}`))!;
    assert.ok(details.vertices.find((v) => v.id === pass.id)!.metrics['accumulated-backpressured-time'] > 0);
  } finally {
    await fetch(`${url}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' }).catch(() => undefined);
  }
});
