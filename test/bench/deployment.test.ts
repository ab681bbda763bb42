/**
 * The deployment benchmark (bench/deployment/) at its smallest scale, so that its code keeps
 * working: one `weir run` per mode, each mode in its own process as in `npm run bench -- --only
 * deployment`, and the figures must be consistent (every mode reported, jobs FINISHED with every
 * record at the sink, submitted ≤ RUNNING ≤ FINISHED ≤ exit), never compared with a target.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEPLOYMENT_MODES } from '../../bench/deployment/results.js';
import { reportDeploymentSuite, runDeploymentSuite, summarize } from '../../bench/deployment/suite.js';

test('every deployment mode runs the job once and reports consistent times', async () => {
  const o = { modes: [...DEPLOYMENT_MODES], runs: 1, records: 2000, parallelism: 2 };
  const results = await runDeploymentSuite(o, () => undefined);
  assert.deepEqual(
    results.map((r) => r.mode),
    [...DEPLOYMENT_MODES],
    'every mode reported',
  );
  for (const r of results) {
    assert.equal(r.runs.length, 1, r.mode);
    assert.equal(r.leftoverProcesses, 0, `${r.mode}: no process of a dedicated cluster outlives it`);
    for (const x of r.runs) {
      const what = `${r.mode}: ${JSON.stringify(x)}`;
      assert.match(x.jobId, /^[0-9a-f]{32}$/, what);
      assert.equal(x.state, 'FINISHED', what);
      assert.equal(x.sinkRecords, o.records, `${what}: every record reached the sink`);
      assert.ok(x.submittedMs > 0, `${what}: the job is submitted after weir run started`);
      assert.ok(x.submittedMs <= x.runningMs, `${what}: submitted ≤ RUNNING`);
      assert.ok(x.runningMs <= x.finishedMs, `${what}: RUNNING ≤ FINISHED`);
      assert.ok(x.finishedMs <= x.exitMs, `${what}: FINISHED ≤ weir run exits`);
    }
    const s = summarize(r);
    assert.equal(s.runningMs.median, r.runs[0]!.runningMs, r.mode);
    if (r.mode === 'local' || r.mode === 'process-session-cold') assert.equal(s.met, undefined, `${r.mode} has no target`);
    else assert.equal(typeof s.met, 'boolean', `${r.mode} has a target`);
  }
  const text = reportDeploymentSuite(results, o).join('\n');
  for (const label of ['local', 'remote', 'TaskManager running', 'TaskManager started', 'process-per-job', 'process-application'])
    assert.ok(text.includes(label), `the report has a row for ${label}:\n${text}`);
  assert.ok(!text.includes('Problems:'), text);
});
