/**
 * JobViews: a job the Dispatcher runs is served from its JobMaster, an ended job of the job archive
 * from the archive's files, with the same answers to the same questions (cancelling an archived
 * job is a 409, an unknown id a 404), and lists hold each job once, the live one first.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { JobMaster } from '../../src/runtime/jobmanager/job-master.js';
import { JobDetailsSchema } from '../../src/rest/api.js';
import { HttpError } from '../../src/rest/http-error.js';
import { JobArchive } from '../../src/rest/job-archive.js';
import { JobViews, type LiveJobs } from '../../src/rest/job-view.js';

const LIVE = 'a'.repeat(32);
const ARCHIVED = 'b'.repeat(32);
const BOTH = 'c'.repeat(32);
const tasks = {
  total: 1,
  created: 0,
  scheduled: 0,
  deploying: 0,
  running: 0,
  finished: 1,
  canceling: 0,
  canceled: 0,
  failed: 0,
  reconciling: 0,
  initializing: 0,
  pending: 0,
};

function archived(dir: string, jid: string, files: Record<string, unknown> = {}): void {
  mkdirSync(join(dir, jid), { recursive: true });
  const overview = { jid, name: 'old', state: 'FAILED', 'start-time': 1, 'end-time': 5, duration: 4, 'last-modification': 5, tasks };
  for (const [name, doc] of Object.entries({ overview, ...files })) writeFileSync(join(dir, jid, `${name}.json`), JSON.stringify(doc));
}

function exceptions(n: number): unknown {
  const entries = Array.from({ length: n }, (_, i) => ({ exceptionName: 'E', stacktrace: `E${i}`, timestamp: i, message: `m${i}` }));
  const all = entries.map((e) => ({ exception: e.stacktrace, task: null, location: null, timestamp: e.timestamp, taskManagerId: null }));
  return { 'root-exception': 'E0', timestamp: 0, 'all-exceptions': all, truncated: false, exceptionHistory: { entries, truncated: false } };
}

/** A JobMaster as far as the views read it: a running job without vertices. */
function runningJob(jobId: string): { jm: JobMaster; cancelled: () => boolean } {
  let cancelled = false;
  const fake = {
    jobId,
    jobName: 'live',
    status: 'RUNNING',
    startTime: 10,
    endTime: -1,
    statusTimestamps: { RUNNING: 10 },
    jobGraph: { type: 'STREAMING', vertices: [] },
    exceptions: [],
    vertexSummaries: () => [],
    checkpointConfig: () => undefined,
    cancel: () => void (cancelled = true),
  };
  return { jm: fake as unknown as JobMaster, cancelled: () => cancelled };
}

function liveJobs(...jms: JobMaster[]): LiveJobs {
  const byId = new Map(jms.map((j) => [j.jobId, j]));
  return { hasJob: (id) => byId.has(id), job: (id) => byId.get(id)!, list: () => [...byId.values()] };
}

async function rejectsWith(p: Promise<unknown>, status: number, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof HttpError && e.statusCode === status && message.test(e.message));
}

test('a live job and an archived job answer the same questions; the live one wins when both exist', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-job-view-'));
  archived(dir, ARCHIVED, {
    job: { ...Object.fromEntries(JobDetailsSchema.required.map((k) => [k, 0])), marker: 'from job.json' },
    exceptions: exceptions(3),
  });
  archived(dir, BOTH);
  const live = runningJob(LIVE);
  const both = runningJob(BOTH);
  const views = new JobViews(liveJobs(live.jm, both.jm), new JobArchive(dir));

  assert.deepEqual(
    (await views.overviews(20)).map((j) => [j.jid, j.state, j.archived ?? false]),
    [
      [LIVE, 'RUNNING', false],
      [BOTH, 'RUNNING', false],
      [ARCHIVED, 'FAILED', true],
    ],
  );

  const a = await views.get(ARCHIVED);
  assert.equal(await a.status(), 'FAILED');
  assert.equal(((await a.details()) as unknown as { marker: string }).marker, 'from job.json');
  const ex = await a.exceptions(2);
  assert.equal(ex.exceptionHistory.entries.length, 2);
  assert.equal(ex.truncated, true);
  assert.equal(await a.checkpointConfig(), undefined, 'no checkpoint-config.json: no checkpointing');
  await rejectsWith(a.plan(), 404, /Job b+ not found/);
  await rejectsWith(a.cancel(), 409, /terminal state FAILED \(archived\)/);
  assert.throws(
    () => views.running(ARCHIVED),
    (e: unknown) => e instanceof HttpError && e.statusCode === 404,
  );
  // What only a JobMaster knows: an archived job's 404 says the archive does not keep it.
  await rejectsWith(views.live(ARCHIVED, 'accumulators'), 404, /served from the job archive, .* not its accumulators/);
  await rejectsWith(views.live('d'.repeat(32), 'accumulators'), 404, /Job d+ not found/);
  assert.equal(await views.live(LIVE, 'accumulators'), live.jm);

  const l = await views.get(BOTH);
  assert.equal(await l.status(), 'RUNNING');
  await l.cancel();
  assert.equal(both.cancelled(), true);
  assert.equal(views.running(LIVE), live.jm);

  await rejectsWith(views.get('d'.repeat(32)), 404, /Job d+ not found/);
  await rejectsWith(new JobViews(liveJobs(), undefined).get(ARCHIVED), 404, /Job b+ not found/);
});
