/**
 * A slow sink backpressures the source: the source's output rate falls to the sink's, the records
 * in flight between them stay bounded by the network buffers, and memory stays flat.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProgram } from '../../dist/client/run-program.js';
import type { SubmittedJob } from '../../dist/client/program-executor.js';
import { waitFor } from '../helpers/wait.js';

const deadline = (ms: number): number => Date.now() + ms;

test('a slow sink slows the source down and memory stays bounded', async (t) => {
  let job: SubmittedJob | undefined;
  const run = runProgram({ program: 'test/programs/slow-sink.ts', listener: { onSubmitted: (j) => (job = j) } });
  const settled = run.then(
    () => 'finished',
    (e: { code?: string }) => e.code ?? 'error',
  );
  await waitFor('the job to be submitted', 20_000, () => job);
  assert.ok(job, 'job was submitted');

  const samples: { t: number; out: number; sunk: number; rss: number }[] = [];
  const stopAt = deadline(20_000);
  // Sample for ~4 s of RUNNING with records flowing. The pause is the sampling period of a
  // measurement over time, not a synchronisation.
  while (Date.now() < stopAt && samples.length < 16) {
    await new Promise((r) => setTimeout(r, 250));
    const p = await job.cluster.progress(job.jobId);
    const [source, pass, sink] = p.vertices;
    if (!source || !pass || !sink || sink.metrics.numRecordsIn === 0) continue;
    samples.push({ t: Date.now(), out: source.metrics.numRecordsOut, sunk: sink.metrics.numRecordsIn, rss: process.memoryUsage().rss });
  }
  await job.cluster.cancel(job.jobId);
  assert.equal(await settled, 'WEIR_JOB_CANCELED');
  assert.ok(samples.length >= 8, `enough samples with records flowing (got ${samples.length})`);

  const first = samples[2]!;
  const last = samples.at(-1)!;
  const secs = (last.t - first.t) / 1000;
  const sourceRate = (last.out - first.out) / secs;
  const sinkRate = (last.sunk - first.sunk) / secs;
  // The sink takes at most 64 records per ms; an unthrottled generator makes millions per second.
  assert.ok(sinkRate < 80_000, `sink is slow (${Math.round(sinkRate)} records/s)`);
  assert.ok(
    sourceRate < sinkRate * 1.5 + 5_000,
    `source slowed to the sink's pace: source ${Math.round(sourceRate)}/s, sink ${Math.round(sinkRate)}/s`,
  );
  for (const s of samples) {
    // Two network hops of credit-limited buffers (32 KiB each, ~200 B records): tens of thousands at most.
    assert.ok(s.out - s.sunk < 60_000, `records in flight stay bounded: ${s.out - s.sunk}`);
  }
  const growth = (last.rss - first.rss) / 2 ** 20;
  const maxInFlight = Math.max(...samples.map((s) => s.out - s.sunk));
  t.diagnostic(
    `source ${Math.round(sourceRate)}/s, sink ${Math.round(sinkRate)}/s, max in flight ${maxInFlight}, RSS growth ${growth.toFixed(1)} MiB`,
  );
  assert.ok(growth < 150, `RSS stays flat (grew ${growth.toFixed(1)} MiB while ${last.out - first.out} records passed)`);
});
