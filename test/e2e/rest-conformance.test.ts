/**
 * Flink's monitoring REST API, whole: every GET path of Flink's own OpenAPI spec
 * (shared/reference/flink-rest-v1-dispatcher.yml) is asked of a real Application cluster (a
 * JobManager process and the TaskManager processes it started) running a checkpointed job that has
 * completed checkpoints and a savepoint. Path parameters come from the running job. Each 200 body
 * must validate against the spec's response schema (ajv, $refs resolved), patched only where
 * Flink's own output deviates from its spec (DEVIATIONS, also in docs/rest-api.md); each 404 must
 * be a path documented as having no meaning in Weir (UNAVAILABLE_PATHS), with its reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { UNAVAILABLE_PATHS } from '../../dist/rest/routes/unavailable.js';
import { applicationJobId } from '../../dist/runtime/jobmanager/dispatcher.js';
import { cleanup, notePid, notePids, tempDir, weir } from './deploy-helpers.js';
import { waitFor } from '../helpers/wait.js';
import { launchChromium, watch } from '../helpers/services/chromium.js';

const SPEC = '/work/shared/reference/flink-rest-v1-dispatcher.yml';
const specPath = (): string => {
  for (const p of [
    process.env.WEIR_FLINK_REST_SPEC,
    join(process.cwd(), '..', 'shared', 'reference', 'flink-rest-v1-dispatcher.yml'),
    SPEC,
  ])
    if (p) {
      try {
        readFileSync(p);
        return p;
      } catch {
        // next candidate
      }
    }
  return SPEC;
};

type Json = Record<string, unknown>;
type Schemas = Record<string, Json>;

/**
 * Where Flink's real output deviates from its spec, the spec is patched to accept Flink's output
 * (docs/rest-api.md lists the same):
 * - fields Flink writes as null (no failure yet, an exception without a task) are nullable;
 * - checkpointing `mode` is written lower-case (exactly_once, at_least_once);
 * - TaskManager ids are not 32 hex digits (as those of Flink's standalone TaskManagers);
 * - an ApplicationID is written as its hex string, not as the {bytes, lowerPart, upperPart} object;
 * - AsynchronousOperationResult.operation is a oneOf of objects without required fields, which no
 *   body can match exactly once: it is an anyOf.
 */
function applyDeviations(s: Schemas): void {
  const nullable = (name: string, fields: string[]): void => {
    const props = (s[name]!.properties ?? {}) as Record<string, Json>;
    for (const f of fields) props[f] = { anyOf: [props[f]!, { type: 'null' }] };
  };
  nullable('LatestCheckpoints', ['completed', 'failed', 'restored', 'savepoint']);
  nullable('RootExceptionInfo', ['taskName', 'endpoint', 'taskManagerId']);
  nullable('ExceptionInfo', ['taskName', 'endpoint', 'taskManagerId']);
  nullable('CheckpointStatistics', ['savepointFormat']);
  s.ProcessingMode = { type: 'string', enum: ['AT_LEAST_ONCE', 'EXACTLY_ONCE', 'at_least_once', 'exactly_once'] };
  s.ApplicationID = { type: 'string' };
  // TaskManager ids are the resource ids Weir gives its TaskManagers (`<cluster>-taskmanager-<n>`), as a standalone Flink TaskManager's.
  s.ResourceID = { type: 'string' };
  // Flink's MetricCollectionResponseBody and AggregatedMetricsResponseBody serialize as bare arrays
  // (their custom JSON serializers), not as the objects the spec describes.
  s.MetricCollectionResponseBody = { type: 'array', items: { $ref: '#/components/schemas/Metric' } };
  s.AggregatedMetricsResponseBody = {
    type: 'array',
    items: {
      type: 'object',
      required: ['id'],
      properties: {
        id: { type: 'string' },
        min: { type: 'number' },
        max: { type: 'number' },
        avg: { type: 'number' },
        sum: { type: 'number' },
        skew: { type: 'number' },
      },
    },
  };
  const op = (s.AsynchronousOperationResult!.properties as Record<string, Json>).operation!;
  op.anyOf = op.oneOf;
  delete op.oneOf;
}

interface Spec {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Json }> }> }>>;
  components: { schemas: Schemas };
}

const spec = parse(readFileSync(specPath(), 'utf8')) as Spec;
applyDeviations(spec.components.schemas);
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'flink', components: spec.components });
/** The spec's `$ref`s point into the same document: rebased onto the one ajv knows. */
const rebase = (schema: Json): Json => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"flink#/components/')) as Json;
const validators = new Map<string, ValidateFunction>();
function validatorFor(path: string): ValidateFunction | undefined {
  const schema = spec.paths[path]!.get!.responses?.['200']?.content?.['application/json']?.schema;
  if (!schema) return undefined;
  let v = validators.get(path);
  if (!v) validators.set(path, (v = ajv.compile(rebase(schema))));
  return v;
}

const dir = tempDir('weir-rest-conformance-');
let url = '';
let jobId = '';
let clusterId = '';
const params: Record<string, string> = {};

before(async () => {
  const r = weir(
    'run',
    '-d',
    '-t',
    'process-application',
    '-D',
    `process.working-dir=${join(dir, 'work')}`,
    '-D',
    'taskmanager.numberOfTaskSlots=1',
    'test/programs/checkpointed-keyed.ts',
    '--',
    join(dir, 'out'),
    join(dir, 'marker'),
    '-1',
    '100000000',
    '2000',
    '7',
    '1000',
  );
  assert.equal(r.code, 0, r.out);
  const m = /Started application cluster (\S+) \(JobManager pid (\d+)\) — (\S+)/.exec(r.out);
  assert.ok(m, r.out);
  [, clusterId, , url] = m as unknown as [string, string, string, string];
  notePid(Number(m[2]));
  jobId = applicationJobId(clusterId, 0);
  const get = async (p: string): Promise<Json | undefined> => {
    const res = await fetch(`${url}${p}`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as Json) : undefined;
  };
  await waitFor('the job to run with a completed checkpoint', 60_000, async () => {
    const c = (await get(`/jobs/${jobId}/checkpoints`)) as { counts?: { completed: number } } | undefined;
    return (c?.counts?.completed ?? 0) >= 1;
  });
  // A savepoint (counted in the statistics as one) and a manual checkpoint (its status by trigger id).
  const sp = (await (await fetch(`${url}/jobs/${jobId}/savepoints`, post({ 'target-directory': join(dir, 'sp') }))).json()) as Json;
  params.triggerid = String(sp['request-id']);
  const savepointDone = await waitFor('the savepoint to complete', 30_000, async () => {
    const s = (await get(`/jobs/${jobId}/savepoints/${params.triggerid}`)) as { status?: { id: string } } | undefined;
    return s?.status?.id === 'COMPLETED';
  });
  assert.ok(savepointDone);
  const job = (await get(`/jobs/${jobId}`)) as { vertices: { id: string }[] };
  const tms = (await get('/taskmanagers')) as { taskmanagers: { id: string }[] };
  const cps = (await get(`/jobs/${jobId}/checkpoints`)) as { latest: { completed: { id: number } } };
  const sub = (await get(`/jobs/${jobId}/vertices/${job.vertices[0]!.id}/subtasks/0`)) as { attempt: number };
  Object.assign(params, {
    jobid: jobId,
    vertexid: job.vertices[0]!.id,
    subtaskindex: '0',
    attempt: String(sub.attempt),
    checkpointid: String(cps.latest.completed.id),
    taskmanagerid: tms.taskmanagers[0]!.id,
    applicationid: clusterId,
    rescaleuuid: '00000000-0000-0000-0000-000000000000',
  });
  // A manual checkpoint (its status by trigger id): refused with 503 while another one is under way.
  params.manualCheckpoint = await waitFor('a manual checkpoint to be triggered', 20_000, async () => {
    const res = await fetch(`${url}/jobs/${jobId}/checkpoints`, post({}));
    return res.status === 202 ? String(((await res.json()) as Json)['request-id']) : undefined;
  });
  const log = (await get('/jobmanager/logs')) as { logs: { name: string }[] } | undefined;
  notePids(JSON.stringify(log ?? ''));
});

after(async () => {
  if (url && jobId) await fetch(`${url}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' }).catch(() => undefined);
  // The application cluster ends with its job; cleanup() kills whatever is left.
  await new Promise((r) => setTimeout(r, 200));
  cleanup();
});

function post(body: Json): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function fill(path: string): string {
  if (path === '/jobs/{jobid}/checkpoints/{triggerid}') return `/jobs/${jobId}/checkpoints/${params.manualCheckpoint}`;
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = params[name];
    assert.ok(v !== undefined, `no value for path parameter {${name}} of ${path}`);
    return encodeURIComponent(v);
  });
}

test('every GET path of the spec: a body valid against its schema, or a documented 404', async (t) => {
  const paths = Object.keys(spec.paths).filter((p) => spec.paths[p]!.get);
  assert.ok(paths.length > 50, `the spec has its GET paths (${paths.length})`);
  const failures: string[] = [];
  let served = 0;
  for (const path of paths) {
    // The latest completed checkpoint now (the history keeps the latest 10).
    if (path.includes('{checkpointid}'))
      params.checkpointid = String(
        ((await json(`/jobs/${jobId}/checkpoints`)) as { latest: { completed: { id: number } } }).latest.completed.id,
      );
    const res = await fetch(`${url}${fill(path)}`, { signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    if (path in UNAVAILABLE_PATHS) {
      if (res.status !== 404) failures.push(`${path}: ${res.status}, expected the documented 404`);
      else if (!text.includes('has no meaning in Weir')) failures.push(`${path}: 404 without its reason: ${text}`);
      continue;
    }
    if (res.status !== 200) {
      failures.push(`${path}: ${res.status} ${text.slice(0, 300)}`);
      continue;
    }
    served++;
    const validate = validatorFor(path);
    if (!validate) continue;
    if (!validate(JSON.parse(text)))
      failures.push(`${path}: ${ajv.errorsText(validate.errors, { separator: '\n    ' })}\n    body: ${text.slice(0, 400)}`);
  }
  t.diagnostic(
    `${served} paths served with a valid body, ${Object.keys(UNAVAILABLE_PATHS).length} documented 404s, ${paths.length} GET paths`,
  );
  assert.deepEqual(failures, []);
});

test('docs/rest-api.md lists every path left at 404 with its reason', () => {
  const doc = readFileSync(join(process.cwd(), 'docs', 'rest-api.md'), 'utf8');
  for (const path of Object.keys(UNAVAILABLE_PATHS)) assert.ok(doc.includes(`\`${path}\``), `docs/rest-api.md names ${path}`);
});

async function json(p: string): Promise<Json> {
  const res = await fetch(`${url}${p}`);
  assert.equal(res.status, 200, `${p}: ${res.status}`);
  return (await res.json()) as Json;
}

test('checkpoint statistics: Flink class names, savepoints counted, per-vertex tasks and subtask details', async () => {
  const cps = (await json(`/jobs/${jobId}/checkpoints`)) as {
    history: { className: string; is_savepoint: boolean; tasks: Record<string, { num_subtasks: number }> }[];
    latest: { savepoint: { is_savepoint: boolean } | null };
  };
  assert.ok(cps.history.every((h) => ['completed', 'in_progress', 'failed'].includes(h.className)));
  // The savepoint taken in before() is the latest one (it may have left the 10-entry history since).
  assert.equal(cps.latest.savepoint?.is_savepoint, true);
  const done = cps.history.find((h) => h.className === 'completed' && !h.is_savepoint) as (typeof cps.history)[number] & { id: number };
  const job = (await json(`/jobs/${jobId}`)) as { vertices: { id: string; parallelism: number }[] };
  assert.deepEqual(Object.keys(done.tasks).sort(), job.vertices.map((v) => v.id).sort());
  for (const v of job.vertices) assert.equal(done.tasks[v.id]!.num_subtasks, v.parallelism);
  const sub = (await json(`/jobs/${jobId}/checkpoints/details/${done.id}/subtasks/${params.vertexid}`)) as {
    subtasks: { className: string; status: string }[];
  };
  assert.equal(sub.subtasks.length, 2);
  assert.ok(sub.subtasks.every((s) => s.className === 'completed' && s.status === 'completed'));
});

test('vertices, backpressure levels and TaskManagers as Flink defines them', async () => {
  const v = (await json(`/jobs/${jobId}/vertices/${params.vertexid}`)) as { subtasks: { status: string; 'taskmanager-id': string }[] };
  assert.equal(v.subtasks.length, 2);
  assert.ok(v.subtasks.every((s) => s.status === 'RUNNING'));
  const bp = (await json(`/jobs/${jobId}/vertices/${params.vertexid}/backpressure`)) as {
    backpressureLevel: string;
    subtasks: { ratio: number }[];
  };
  assert.ok(['ok', 'low', 'high'].includes(bp.backpressureLevel));
  assert.ok(bp.subtasks.every((s) => s.ratio >= 0 && s.ratio <= 1));
  const tms = (await json('/taskmanagers')) as {
    taskmanagers: { timeSinceLastHeartbeat: number; assignedTasks: number; totalResource: { cpuCores: number } }[];
  };
  assert.equal(tms.taskmanagers.length, 2, 'two TaskManager processes of one slot each');
  for (const tm of tms.taskmanagers) {
    // Flink's field holds the time of the last heartbeat.
    assert.ok(tm.timeSinceLastHeartbeat > Date.now() - 60_000 && tm.timeSinceLastHeartbeat <= Date.now() + 1000);
    assert.ok(tm.assignedTasks >= 1);
    assert.ok(tm.totalResource.cpuCores > 0);
  }
  const tmIds = new Set(v.subtasks.map((s) => s['taskmanager-id']));
  assert.equal(tmIds.size, 2, 'the two subtasks run on the two TaskManagers');
});

test('logs are listed and read by file name only; thread dumps name the worker threads', async () => {
  const jmLogs = (await json('/jobmanager/logs')) as { logs: { name: string; size: number }[] };
  assert.ok(
    jmLogs.logs.some((l) => l.name === 'jobmanager.log'),
    JSON.stringify(jmLogs),
  );
  const text = await (await fetch(`${url}/jobmanager/logs/jobmanager.log`)).text();
  assert.match(text, /JobManager/);
  const tmLogs = (await json(`/taskmanagers/${params.taskmanagerid}/logs`)) as { logs: { name: string }[] };
  assert.ok(
    tmLogs.logs.some((l) => l.name === `${params.taskmanagerid}.log`),
    JSON.stringify(tmLogs),
  );
  const tmText = await (await fetch(`${url}/taskmanagers/${params.taskmanagerid}/logs/${params.taskmanagerid}.log`)).text();
  assert.match(tmText, /TaskManager/);
  for (const bad of ['..%2Fconf%2Fconfig.yaml', '.hidden', '%2Fetc%2Fpasswd']) {
    for (const base of ['/jobmanager/logs', `/taskmanagers/${params.taskmanagerid}/logs`]) {
      const res = await fetch(`${url}${base}/${bad}`);
      assert.ok([400, 404].includes(res.status), `${base}/${bad}: ${res.status}`);
      const body = (await res.json()) as { errors: string[] };
      assert.match(body.errors[0]!, /not a plain file name|not a file of the log directory|Not found/);
    }
  }
  const missing = await fetch(`${url}/jobmanager/logs/no-such.log`);
  assert.equal(missing.status, 404);
  const jmThreads = (await json('/jobmanager/thread-dump')) as { threadInfos: { threadName: string }[] };
  assert.ok(
    jmThreads.threadInfos.some((t) => t.threadName.startsWith('Source coordinator')),
    JSON.stringify(jmThreads),
  );
  const tmThreads = (await json(`/taskmanagers/${params.taskmanagerid}/thread-dump`)) as { threadInfos: { threadName: string }[] };
  assert.ok(
    tmThreads.threadInfos.some((t) => t.threadName.startsWith('Slot ')),
    JSON.stringify(tmThreads),
  );
});

test("Application mode: the cluster's application and its jobs", async () => {
  const ov = (await json('/applications/overview')) as { applications: { id: string; status: string; jobs: Record<string, number> }[] };
  assert.equal(ov.applications.length, 1);
  assert.equal(ov.applications[0]!.id, clusterId);
  assert.equal(ov.applications[0]!.status, 'RUNNING');
  assert.deepEqual(ov.applications[0]!.jobs, { RUNNING: 1 });
  const details = (await json(`/jobs/${jobId}`)) as { name: string };
  const app = (await json(`/applications/${clusterId}`)) as {
    name: string;
    jobs: { jid: string; jobType: string; schedulerType: string }[];
  };
  assert.equal(app.name, details.name, `the name of its first job (${details.name})`);
  assert.deepEqual(
    app.jobs.map((j) => [j.jid, j.jobType, j.schedulerType]),
    [[jobId, 'STREAMING', 'Default']],
  );
  const other = await fetch(`${url}/applications/no-such-application`);
  assert.equal(other.status, 404);
  assert.match(((await other.json()) as { errors: string[] }).errors[0]!, /this cluster runs application/);
});

test("the dashboard's Overview shows the application with its job, in a real browser", async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const seen = watch(page);
    await page.goto(`${url}/#/`);
    const text = await waitFor('the Applications card with the running job', 20_000, async () => {
      const card = page.locator('.application');
      if ((await card.count()) !== 1) return undefined;
      const t = (await card.textContent()) ?? '';
      return t.includes(clusterId) && t.includes(jobId) && t.includes('RUNNING') ? t : undefined;
    });
    assert.ok(text);
    assert.deepEqual(seen.problems, []);
  } finally {
    await browser.close();
  }
});
