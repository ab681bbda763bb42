/**
 * The REST API of a session cluster: a JobManager with an in-process TaskManager behind
 * startRestServer, driven through RemoteClusterClient, plain fetch and the real `weir` command.
 * Jobs run concurrently, get cancelled, finish with the right results; every documented path uses
 * Flink's field names; bad requests get 4xx JSON errors without disturbing a running job; uploads
 * are size-limited and content-addressed; tokens and binds are enforced.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { connect as connectSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bundleProgram, type Bundle } from '../../dist/client/bundler.js';
import { inspectProgram } from '../../dist/client/inspect-program.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { RemoteClusterClient } from '../../dist/client/remote-cluster-client.js';
import { graphDefaults, runProgram } from '../../dist/client/run-program.js';
import { Configuration } from '../../dist/config/index.js';
import { planJson } from '../../dist/graph/plan.js';
import type { JobResult } from '../../dist/runtime/jobmanager/job-master.js';
import { RestApiError, RestClient } from '../../dist/rest/client.js';
import { isLoopbackAddress, startRestServer, type RestServer } from '../../dist/rest/server.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const WEIR = join(process.cwd(), 'bin', 'weir.mjs');
const NO_CONF = join(tmpdir(), 'weir-no-conf');

/** Rejects when `p` takes longer than `ms`: every wait in this file is bounded. */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]);
}

function weir(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [WEIR, ...args],
      { timeout: 60_000, env: { ...process.env, WEIR_CONF_DIR: NO_CONF } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function http(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> & { errors?: string[] }; headers: Headers }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

function keys(o: unknown): string[] {
  return Object.keys(o as object).sort();
}

function assertHasKeys(o: unknown, expected: string[], where: string): void {
  const got = new Set(keys(o));
  for (const k of expected) assert.ok(got.has(k), `${where} has '${k}' (got ${[...got].join(', ')})`);
}

/** What plan mode produces for a program: the submission and its bundle, without running anything. */
async function prepare(program: string, args: string[], parallelism?: number) {
  const config = Configuration.fromEntries({});
  const bundle: Bundle = await bundleProgram(program);
  const { jobGraph } = await within(30_000, inspectProgram(program, args, config, parallelism), `plan of ${program}`);
  return {
    bundle,
    request: {
      jobGraph,
      programArgs: args,
      cwd: process.cwd(),
      executionIndex: 0,
      graphDefaults: graphDefaults(config, parallelism),
      config: config.toJSON() as Record<string, unknown>,
    },
  };
}

/** The three sums of 1..n by x % 3, as test/programs/rest-count.ts collects them. */
function expectedSums(n: number): { k: number; v: number }[] {
  const sums = [0, 0, 0];
  for (let x = 1; x <= n; x++) sums[x % 3]! += x;
  return sums.map((v, k) => ({ k, v }));
}

function collectedSums(r: JobResult): { k: number; v: number }[] {
  return ((r.collected['collect-0'] ?? []) as { k: number; v: number }[]).slice().sort((a, b) => a.k - b.k);
}

let cluster: LocalMiniCluster;
let server: RestServer;
let client: RemoteClusterClient;
let port: string;
const blobDir = mkdtempSync(join(tmpdir(), 'weir-rest-blobs-'));
const jobs: { finished: string[]; cancelled: string; failed?: string } = { finished: [], cancelled: '' };

before(async () => {
  cluster = new LocalMiniCluster({ slotsPerTaskManager: 4 });
  server = await startRestServer({ jobManager: cluster.jobManager, config: Configuration.fromEntries({ 'rest.port': 0 }), blobDir });
  port = new URL(server.url).port;
  client = new RemoteClusterClient({ url: server.url });
});

after(async () => {
  await client?.close();
  await server?.close();
  await cluster?.close();
});

test('three jobs submitted concurrently: /jobs/overview lists them, one is cancelled, two finish with correct results', async () => {
  // Plan mode runs one program at a time; the submissions then go out together.
  const a = await prepare('test/programs/rest-count.ts', ['count-a', '20000', '1']);
  const b = await prepare('test/programs/rest-count.ts', ['count-b', '30000', '2']);
  const slow = await prepare('test/programs/slow-sink.ts', []);
  const ids = await within(
    30_000,
    Promise.all([a, b, slow].map((p) => client.submit(p.request, p.bundle))),
    'three concurrent submissions',
  );
  assert.equal(new Set(ids).size, 3);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);

  const overview = await client.rest.jobsOverview();
  const byId = new Map(overview.jobs.map((j) => [j.jid, j]));
  for (const id of ids) assert.ok(byId.has(id), `/jobs/overview lists ${id}`);
  assert.deepEqual(
    ids.map((id) => byId.get(id)!.name),
    ['count-a', 'count-b', 'backpressure'],
  );
  // The content-addressed upload happened once per distinct bundle.
  const bundles = await client.rest.bundles();
  assert.ok(bundles.files.some((f) => f.id === a.bundle.id && f.name === 'rest-count.ts'));

  const [idA, idB, idSlow] = ids as [string, string, string];
  await waitFor('the slow job to run with records flowing', 30_000, async () => {
    const p = await client.progress(idSlow);
    return p.status === 'RUNNING' && p.vertices.at(-1)!.metrics.numRecordsIn > 0;
  });
  const res = await http(`${server.url}/jobs/${idSlow}?mode=cancel`, { method: 'PATCH' });
  assert.equal(res.status, 202);

  const [ra, rb, rs] = await within(60_000, Promise.all(ids.map((id) => client.waitForResult(id))), 'three results');
  assert.equal(ra.status, 'FINISHED');
  assert.equal(rb.status, 'FINISHED');
  assert.equal(rs.status, 'CANCELED');
  assert.deepEqual(collectedSums(ra), expectedSums(20000));
  assert.deepEqual(collectedSums(rb), expectedSums(30000));
  assert.equal((await client.rest.jobStatus(idSlow)).status, 'CANCELED');
  jobs.finished.push(idA, idB);
  jobs.cancelled = idSlow;
});

test('runProgram with execution.target remote runs the program on the session cluster', async () => {
  const config = Configuration.fromEntries({ 'execution.target': 'remote', 'rest.address': '127.0.0.1', 'rest.port': port });
  const run = await within(
    60_000,
    runProgram({ program: 'test/programs/rest-count.ts', args: ['via-run', '5000', '2'], config }),
    'runProgram',
  );
  assert.equal(run.results.length, 1);
  assert.equal(run.results[0]!.status, 'FINISHED');
  assert.deepEqual(collectedSums(run.results[0]!), expectedSums(5000));
  assert.match(run.jobs[0]!.cluster.description, /session cluster at http:\/\/127\.0\.0\.1:\d+/);
  assert.ok(cluster.jobManager.dispatcher.hasJob(run.results[0]!.jobId), 'the job ran in the session cluster');
});

test('a large earlier result reaches the replay content-addressed, as a blob', async () => {
  const config = Configuration.fromEntries({ 'execution.target': 'remote', 'rest.address': '127.0.0.1', 'rest.port': port });
  const run = await within(60_000, runProgram({ program: 'test/programs/replay-large.ts', config, parallelism: 2 }), 'runProgram');
  assert.deepEqual(run.exports.counted, [40_000], 'the slots saw the 40000 records the client collected');
  const blobs = readdirSync(blobDir).filter((f) => readFileSync(join(blobDir, f), 'utf8').startsWith('[{"statuses"'));
  assert.equal(blobs.length, 1, 'the records of the first execution were uploaded once, as a blob');
  const last = run.results.at(-1)!;
  assert.equal(cluster.jobManager.dispatcher.job(last.jobId).submission.observed?.[0]?.result?.collected['collect-0']?.length, 40_000);
});

test("every documented path answers with Flink's field names", async () => {
  const failed = await prepare('test/programs/throws.ts', []);
  const failedId = await client.submit(failed.request, failed.bundle);
  const fr = await within(60_000, client.waitForResult(failedId), 'the failing job');
  assert.equal(fr.status, 'FAILED');
  const u = server.url;
  const [done] = jobs.finished as [string];

  const overview = (await http(`${u}/overview`)).body;
  assert.deepEqual(
    keys(overview),
    [
      'flink-commit',
      'flink-version',
      'jobs-cancelled',
      'jobs-failed',
      'jobs-finished',
      'jobs-running',
      'slots-available',
      'slots-free-and-blocked',
      'slots-total',
      'taskmanagers',
      'taskmanagers-blocked',
    ].sort(),
  );
  assert.equal(overview.taskmanagers, 1);
  assert.equal(overview['slots-total'], 4);
  assert.ok((overview['jobs-finished'] as number) >= 3);
  assert.ok((overview['jobs-cancelled'] as number) >= 1);
  assert.ok((overview['jobs-failed'] as number) >= 1);
  assert.equal(overview['flink-version'], '0.1.0');

  assertHasKeys(
    (await http(`${u}/config`)).body,
    ['refresh-interval', 'timezone-name', 'timezone-offset', 'flink-version', 'flink-revision', 'features'],
    '/config',
  );

  const list = (await http(`${u}/jobs`)).body as { jobs: { id: string; status: string }[] };
  assert.ok(list.jobs.some((j) => j.id === done && j.status === 'FINISHED'));
  for (const j of list.jobs) assert.deepEqual(keys(j), ['id', 'status']);

  const ov = (await http(`${u}/jobs/overview`)).body as { jobs: Record<string, unknown>[] };
  for (const j of ov.jobs) {
    assert.deepEqual(keys(j), [
      'duration',
      'end-time',
      'jid',
      'jobType',
      'last-modification',
      'name',
      'pending-operators',
      'schedulerType',
      'start-time',
      'state',
      'tasks',
    ]);
    assert.equal(j.schedulerType, 'Default');
    assertHasKeys(j.tasks, ['total', 'running', 'finished', 'canceled', 'failed', 'created', 'deploying'], 'tasks');
  }
  const doneOverview = ov.jobs.find((j) => j.jid === done)!;
  assert.equal(doneOverview.state, 'FINISHED');
  assert.equal((doneOverview.tasks as { finished: number; total: number }).finished, (doneOverview.tasks as { total: number }).total);

  const details = (await http(`${u}/jobs/${done}`)).body;
  assertHasKeys(
    details,
    ['jid', 'name', 'isStoppable', 'state', 'start-time', 'end-time', 'duration', 'now', 'timestamps', 'vertices', 'status-counts', 'plan'],
    '/jobs/:id',
  );
  assert.equal(details.jid, done);
  assert.equal(details.state, 'FINISHED');
  assert.ok((details.timestamps as Record<string, number>).FINISHED! > 0);
  const vertices = details.vertices as Record<string, unknown>[];
  assert.ok(vertices.length >= 2);
  for (const v of vertices) {
    assertHasKeys(
      v,
      ['id', 'name', 'parallelism', 'maxParallelism', 'status', 'start-time', 'end-time', 'duration', 'tasks', 'metrics'],
      'vertex',
    );
    assertHasKeys(
      v.metrics,
      ['read-records', 'write-records', 'read-bytes', 'write-bytes', 'read-records-complete', 'accumulated-backpressured-time'],
      'vertex metrics',
    );
    assert.equal(v.status, 'FINISHED');
  }
  // 20000 records leave the source and reach the keyed reduce.
  assert.equal((vertices[0]!.metrics as Record<string, number>)['write-records'], 20000);
  assert.equal((vertices[1]!.metrics as Record<string, number>)['read-records'], 20000);

  assert.deepEqual((await http(`${u}/jobs/${done}/status`)).body, { status: 'FINISHED' });
  const plan = (await http(`${u}/jobs/${done}/plan`)).body as { plan: { jid: string; nodes: unknown[] } };
  assert.deepEqual(keys(plan), ['plan']);
  assert.equal(plan.plan.jid, done);
  assert.deepEqual(plan.plan, planJson(cluster.jobManager.dispatcher.job(done).jobGraph, done));
  assert.deepEqual((details.plan as { nodes: unknown[] }).nodes, plan.plan.nodes);

  const noExceptions = (await http(`${u}/jobs/${done}/exceptions`)).body;
  assert.equal(noExceptions['root-exception'], null);
  const exc = (await http(`${u}/jobs/${failedId}/exceptions`)).body as Record<string, unknown> & {
    exceptionHistory: { entries: Record<string, unknown>[] };
    'all-exceptions': Record<string, unknown>[];
  };
  assertHasKeys(exc, ['root-exception', 'timestamp', 'all-exceptions', 'truncated', 'exceptionHistory'], '/exceptions');
  assert.match(exc['root-exception'] as string, /bad record 700/);
  assert.equal(typeof exc.timestamp, 'number');
  const entry = exc.exceptionHistory.entries[0]!;
  assertHasKeys(
    entry,
    ['exceptionName', 'stacktrace', 'timestamp', 'taskName', 'failureLabels', 'concurrentExceptions'],
    'exception entry',
  );
  assert.match(entry.stacktrace as string, /bad record 700/);
  assert.match(entry.taskName as string, /explode \(1\/1\)/);
  // Where the failed task ran: its TaskManager (in this process: 'in-process').
  assert.equal(typeof entry.taskManagerId, 'string');
  assert.equal(entry.endpoint, 'in-process');
  assert.equal(entry.code, 'WEIR_USER_FUNCTION');
  assertHasKeys(exc['all-exceptions'][0], ['exception', 'task', 'location', 'timestamp', 'taskManagerId'], 'all-exceptions entry');

  const result = (await http(`${u}/jobs/${done}/result`)).body as Record<string, unknown> & { status: { id: string } };
  assert.equal(result.status.id, 'COMPLETED');
  assertHasKeys(result['job-execution-result'], ['id', 'application-status', 'net-runtime', 'accumulator-results'], 'job-execution-result');
  assert.equal((result['job-execution-result'] as { 'application-status': string })['application-status'], 'SUCCEEDED');
  const failedResult = (await http(`${u}/jobs/${failedId}/execution-result`)).body as Record<string, Record<string, unknown>>;
  assert.equal(failedResult['job-execution-result']!['application-status'], 'FAILED');
  assertHasKeys(failedResult['job-execution-result']!['failure-cause'], ['class', 'stack-trace', 'serialized-throwable'], 'failure-cause');

  const tms = (await http(`${u}/taskmanagers`)).body as { taskmanagers: Record<string, unknown>[] };
  assert.equal(tms.taskmanagers.length, 1);
  const tm = tms.taskmanagers[0]!;
  assertHasKeys(
    tm,
    ['id', 'path', 'dataPort', 'jmxPort', 'timeSinceLastHeartbeat', 'slotsNumber', 'freeSlots', 'hardware'],
    '/taskmanagers',
  );
  assert.equal(tm.slotsNumber, 4);
  assertHasKeys(tm.hardware, ['cpuCores', 'physicalMemory', 'freeMemory', 'managedMemory'], 'hardware');
  const one = (await http(`${u}/taskmanagers/${tm.id as string}`)).body;
  // The details add Flink's allocatedSlots to the list's fields.
  assert.deepEqual([one.id, one.path, one.slotsNumber, keys(one)], [tm.id, tm.path, 4, [...keys(tm), 'allocatedSlots'].sort()]);

  const conf = (await http(`${u}/jobmanager/config`)).body as unknown as { key: string; value: string }[];
  assert.ok(Array.isArray(conf));
  for (const e of conf) assert.deepEqual(keys(e), ['key', 'value']);
  assert.ok(conf.some((e) => e.key === 'rest.port' && e.value === '0'));
});

test('malformed bodies and unknown ids get 4xx JSON errors while a running job keeps running', async (t) => {
  const slow = await prepare('test/programs/slow-sink.ts', []);
  const running = await client.submit(slow.request, slow.bundle);
  t.after(() => client.cancel(running).catch(() => undefined));
  const sunk = async (): Promise<number> => (await client.progress(running)).vertices.at(-1)!.metrics.numRecordsIn;
  await waitFor('records to flow', 30_000, async () => (await sunk()) > 0);
  const before = await sunk();
  const u = server.url;
  const bundleId = slow.bundle.id;
  const run = (body: string, id = bundleId): Promise<Awaited<ReturnType<typeof http>>> =>
    http(`${u}/bundles/${id}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const good = { ...slow.request };
  const jg = good.jobGraph;

  const cases: { what: string; res: Promise<Awaited<ReturnType<typeof http>>>; status: number; match: RegExp }[] = [
    { what: 'not JSON', res: run('{"jobGraph": '), status: 400, match: /./ },
    { what: 'empty object', res: run('{}'), status: 400, match: /jobGraph/ },
    { what: 'a JSON array', res: run('[1,2]'), status: 400, match: /body/ },
    { what: 'no graphDefaults', res: run(JSON.stringify({ jobGraph: jg })), status: 400, match: /graphDefaults/ },
    {
      what: 'parallelism 0',
      res: run(JSON.stringify({ ...good, jobGraph: { ...jg, vertices: jg.vertices.map((v) => ({ ...v, parallelism: 0 })) } })),
      status: 400,
      match: /jobGraph\/vertices\/0\/parallelism/,
    },
    { what: 'no vertices', res: run(JSON.stringify({ ...good, jobGraph: { ...jg, vertices: [] } })), status: 400, match: /vertices/ },
    {
      what: 'an edge to nowhere',
      res: run(JSON.stringify({ ...good, jobGraph: { ...jg, edges: jg.edges.map((e) => ({ ...e, targetVertex: 'nope' })) } })),
      status: 400,
      match: /jobGraph\/edges\/0\/targetVertex/,
    },
    { what: 'programArgs not strings', res: run(JSON.stringify({ ...good, programArgs: [1] })), status: 400, match: /programArgs/ },
    {
      what: 'a cwd longer than a TaskManager reads',
      res: run(JSON.stringify({ ...good, cwd: `/${'d'.repeat(10_001)}` })),
      status: 400,
      match: /body\/cwd is longer than 10000/,
    },
    {
      what: 'a program argument longer than a TaskManager reads',
      res: run(JSON.stringify({ ...good, programArgs: ['a'.repeat((1 << 20) + 1)] })),
      status: 400,
      match: /body\/programArgs\[0\] is longer than/,
    },
    {
      what: 'a graph without structureFingerprint',
      res: run(JSON.stringify({ ...good, jobGraph: { ...jg, structureFingerprint: undefined } })),
      status: 400,
      match: /body\/jobGraph\.structureFingerprint is missing/,
    },
    { what: 'a string for a number', res: run(JSON.stringify({ ...good, executionIndex: '0' })), status: 400, match: /executionIndex/ },
    { what: 'an unknown field', res: run(JSON.stringify({ ...good, jarFile: 'x' })), status: 400, match: /additional properties|jarFile/ },
    {
      what: 'a bad configuration value',
      res: run(JSON.stringify({ ...good, config: { 'parallelism.default': 'two' } })),
      status: 400,
      match: /config.*parallelism\.default/,
    },
    {
      what: 'an unknown config key',
      res: run(JSON.stringify({ ...good, config: { 'no.such.key': '1' } })),
      status: 400,
      match: /no\.such\.key/,
    },
    { what: 'a bad job id', res: run(JSON.stringify({ ...good, jobId: '../x' })), status: 400, match: /jobId/ },
    { what: 'an existing job id', res: run(JSON.stringify({ ...good, jobId: running })), status: 409, match: /already exists/ },
    { what: 'an unknown bundle', res: run(JSON.stringify(good), 'a'.repeat(64)), status: 404, match: /Bundle a+ not found/ },
    { what: 'a bundle id that is not a hash', res: run(JSON.stringify(good), '..%2F..%2Fetc'), status: 400, match: /params\/id/ },
    { what: 'an unknown job', res: http(`${u}/jobs/${'0'.repeat(32)}`), status: 404, match: /Job 0+ not found/ },
    { what: 'an unknown job status', res: http(`${u}/jobs/nope/status`), status: 404, match: /not found/ },
    { what: 'an unknown job plan', res: http(`${u}/jobs/nope/plan`), status: 404, match: /not found/ },
    { what: 'exceptions of an unknown job', res: http(`${u}/jobs/nope/exceptions`), status: 404, match: /not found/ },
    { what: 'the result of an unknown job', res: http(`${u}/jobs/nope/result?timeout=10`), status: 404, match: /not found/ },
    { what: 'a bad result timeout', res: http(`${u}/jobs/${running}/result?timeout=-5`), status: 400, match: /timeout/ },
    { what: 'cancelling an unknown job', res: http(`${u}/jobs/nope?mode=cancel`, { method: 'PATCH' }), status: 404, match: /not found/ },
    { what: 'an unknown PATCH mode', res: http(`${u}/jobs/${running}?mode=explode`, { method: 'PATCH' }), status: 400, match: /mode/ },
    {
      what: 'cancelling a finished job',
      res: http(`${u}/jobs/${jobs.finished[0]!}?mode=cancel`, { method: 'PATCH' }),
      status: 409,
      match: /FINISHED/,
    },
    { what: 'an unknown TaskManager', res: http(`${u}/taskmanagers/tm-99`), status: 404, match: /TaskManager tm-99 not found/ },
    { what: 'an unknown path', res: http(`${u}/no-such-resource`), status: 404, match: /Not found/ },
    { what: "Flink's jars", res: http(`${u}/jars`), status: 404, match: /has no meaning in Weir: .*use GET \/bundles/ },
    {
      what: 'JSON sent as a bundle',
      res: http(`${u}/bundles/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      status: 415,
      match: /octet-stream/,
    },
    {
      what: 'an empty bundle',
      res: http(`${u}/bundles/upload`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array(0),
      }),
      status: 400,
      match: /empty/,
    },
    {
      what: 'an unsupported content type',
      res: http(`${u}/bundles/${bundleId}/run`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<x/>' }),
      status: 415,
      match: /./,
    },
  ];
  const results = await Promise.all(cases.map((c) => c.res));
  // A case that wrongly started a job must not leave it running for the next tests.
  for (const r of results) if (typeof r.body.jobid === 'string') await client.cancel(r.body.jobid);
  for (const [i, c] of cases.entries()) {
    const r = results[i]!;
    assert.equal(r.status, c.status, `${c.what}: ${JSON.stringify(r.body)}`);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/, c.what);
    assert.ok(Array.isArray(r.body.errors) && r.body.errors.length === 1, `${c.what}: {errors: [...]}`);
    assert.match(r.body.errors![0]!, c.match, c.what);
  }

  // The typed client turns them into WeirErrors with the status.
  await assert.rejects(
    client.rest.job('nope'),
    (e: unknown) => e instanceof RestApiError && e.status === 404 && /Job nope not found/.test(e.message),
  );

  // None of that touched the running job.
  assert.equal((await client.progress(running)).status, 'RUNNING');
  await waitFor('more records to flow after the bad requests', 10_000, async () => (await sunk()) > before);
  await client.cancel(running);
  const r = await within(30_000, client.waitForResult(running), 'the cancelled job');
  assert.equal(r.status, 'CANCELED');
});

test('uploads are size-limited (413) and stored under their SHA-256, never under the given name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-rest-upload-'));
  const small = await startRestServer({
    jobManager: cluster.jobManager,
    config: Configuration.fromEntries({ 'rest.port': 0, 'rest.upload.max-size': '1 kb' }),
    blobDir: dir,
  });
  try {
    const post = (body: NonNullable<RequestInit['body']>, name = 'x.mjs', init: RequestInit = {}) =>
      http(`${small.url}/bundles/upload?name=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body,
        ...init,
      });
    const big = await post(new Uint8Array(2048).fill(65));
    assert.equal(big.status, 413);
    assert.match(big.body.errors![0]!, /rest\.upload\.max-size \(1024 bytes\)/);

    // Without a Content-Length the limit applies as the bytes arrive.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(512).fill(66));
        c.close();
      },
    });
    const streamed = await post(stream, 'x.mjs', { duplex: 'half' } as RequestInit);
    assert.equal(streamed.status, 413);

    const code = 'export const x = 1;\n';
    const ok = await post(code, '../../evil\u0000name.mjs');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const sha = createHash('sha256').update(code).digest('hex');
    assert.equal(ok.body.id, sha);
    assert.deepEqual(readdirSync(dir).sort(), [`${sha}.json`, `${sha}.mjs`]);
    const listed = (await http(`${small.url}/bundles`)).body as { files: { id: string; name: string }[] };
    assert.deepEqual(
      listed.files.map((f) => [f.id, f.name]),
      [[sha, '../../evilname.mjs']],
    );
    // The same bytes again: the same id, nothing new on disk.
    assert.equal((await post(code, 'other.mjs')).body.id, sha);
    assert.equal(readdirSync(dir).length, 2);
    assert.equal((await http(`${small.url}/overview`)).status, 200, 'the server still answers');
  } finally {
    await small.close();
  }
});

test('a request that announces a body and never sends it is answered 408 and closed after rest.request.timeout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-rest-timeout-'));
  const timed = await startRestServer({
    jobManager: cluster.jobManager,
    config: Configuration.fromEntries({ 'rest.port': 0, 'rest.request.timeout': '1 s' }),
    blobDir: dir,
  });
  try {
    const { hostname, port: p } = new URL(timed.url);
    for (const [path, type] of [
      ['/bundles/upload?name=x.mjs', 'application/octet-stream'],
      [`/bundles/${'a'.repeat(64)}/run`, 'application/json'],
    ] as const) {
      const sock = connectSocket({ host: hostname, port: Number(p) });
      sock.on('error', () => undefined);
      let received = '';
      sock.on('data', (d: Buffer) => (received += d.toString('utf8')));
      const closed = new Promise<void>((r) => sock.on('close', () => r()));
      await new Promise<void>((r) => sock.on('connect', () => r()));
      const sent = Date.now();
      sock.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: ${type}\r\nContent-Length: 1000\r\n\r\n{`);
      await within(10_000, closed, `the server to close the connection of ${path}`);
      const took = Date.now() - sent;
      assert.ok(took >= 900 && took < 10_000, `closed after ${took} ms`);
      assert.match(received, /^HTTP\/1\.1 408 /, received);
    }
    // A complete request on a fresh connection is still answered.
    assert.equal((await http(`${timed.url}/config`)).status, 200);
  } finally {
    await timed.close();
  }
});

test('with security.rest.token set, requests without the token get 401', async () => {
  const token = 'test-token-0123456789';
  const secured = await startRestServer({
    jobManager: cluster.jobManager,
    config: Configuration.fromEntries({ 'rest.port': 0, 'security.rest.token': token }),
    blobDir: mkdtempSync(join(tmpdir(), 'weir-rest-token-')),
  });
  try {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: token }, { authorization: `Basic ${token}` }] as Record<
      string,
      string
    >[]) {
      for (const path of ['/overview', '/jobs', `/jobs/${jobs.cancelled}`, '/jobmanager/config']) {
        const r = await http(`${secured.url}${path}`, { headers });
        assert.equal(r.status, 401, `${path} with ${JSON.stringify(headers)}`);
        assert.match(r.body.errors![0]!, /Authorization: Bearer/);
        assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="weir"');
      }
    }
    const upload = await http(`${secured.url}/bundles/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: 'export {}',
    });
    assert.equal(upload.status, 401);
    assert.equal((await http(`${secured.url}/jobs/${jobs.cancelled}`, { method: 'PATCH' })).status, 401);

    const auth = { authorization: `Bearer ${token}` };
    assert.equal((await http(`${secured.url}/overview`, { headers: auth })).status, 200);
    const conf = (await http(`${secured.url}/jobmanager/config`, { headers: auth })).body as unknown as { key: string; value: string }[];
    assert.deepEqual(
      conf.find((e) => e.key === 'security.rest.token'),
      { key: 'security.rest.token', value: '******' },
      'the token is redacted',
    );
    assert.ok(!JSON.stringify(conf).includes(token));

    assert.equal((await new RestClient({ url: secured.url, token }).jobs()).jobs.length > 0, true);
    await assert.rejects(
      new RestClient({ url: secured.url }).jobs(),
      (e: unknown) => e instanceof RestApiError && e.status === 401 && /security\.rest\.token/.test(e.message),
    );

    const port2 = new URL(secured.url).port;
    const denied = await weir('list', '-m', `127.0.0.1:${port2}`);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^Error: .*security\.rest\.token/m);
    const allowed = await weir('list', '--all', '-m', `127.0.0.1:${port2}`, '-D', `security.rest.token=${token}`);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, new RegExp(jobs.cancelled));
  } finally {
    await secured.close();
  }
});

test('a non-loopback bind without a token refuses to start', async () => {
  for (const address of ['0.0.0.0', '::', '192.168.1.10', 'example.org']) {
    await assert.rejects(
      startRestServer({
        jobManager: cluster.jobManager,
        config: Configuration.fromEntries({ 'rest.port': 0, 'rest.bind-address': address }),
        blobDir: mkdtempSync(join(tmpdir(), 'weir-rest-bind-')),
      }),
      (e: { code?: string; message: string }) => e.code === 'WEIR_CONFIG_BAD_VALUE' && /security\.rest\.token/.test(e.message),
      address,
    );
  }
  for (const a of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(a), a);
  for (const a of ['0.0.0.0', '::', '10.0.0.1', '::ffff:10.0.0.1', 'example.org']) assert.ok(!isLoopbackAddress(a), a);
});

test('DELETE /cluster calls the shutdown callback after answering', async () => {
  let called = 0;
  const s = await startRestServer({
    jobManager: cluster.jobManager,
    config: Configuration.fromEntries({ 'rest.port': 0 }),
    blobDir: mkdtempSync(join(tmpdir(), 'weir-rest-shutdown-')),
    onShutdown: () => {
      called++;
    },
  });
  try {
    const r = await http(`${s.url}/cluster`, { method: 'DELETE' });
    assert.equal(r.status, 200);
    await waitFor('the shutdown callback', 5_000, async () => called === 1);
  } finally {
    await s.close();
  }
});

test('weir list and weir cancel against the cluster; weir run -m attached and -d', async (t) => {
  const m = `127.0.0.1:${port}`;

  const attached = await weir('run', '-m', m, 'test/programs/rest-count.ts', '--', 'cli-attached', '200000', '1');
  assert.equal(attached.code, 0, attached.stderr);
  assert.match(
    attached.stderr,
    new RegExp(
      `Submitted job 'cli-attached' \\([0-9a-f]{32}\\) to the session cluster at http://127\\.0\\.0\\.1:${port} — http://127\\.0\\.0\\.1:${port}/#/job/[0-9a-f]{32}\\n`,
    ),
  );
  assert.match(attached.stderr, /^\d\d:\d\d:\d\d (CREATED|RUNNING|FINISHED)( — |$)/m, 'live status lines');
  assert.match(attached.stderr, /Job 'cli-attached' \([0-9a-f]{32}\) FINISHED/);
  const sums = attached.stdout.split('\n').find((l) => l.startsWith('sums: '));
  assert.deepEqual(JSON.parse(sums!.slice('sums: '.length)), expectedSums(200000));

  const detached = await within(30_000, weir('run', '-d', '-m', m, 'test/programs/slow-sink.ts'), 'weir run -d');
  assert.equal(detached.code, 0, detached.stderr);
  const id = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(detached.stdout)?.[1];
  assert.ok(id, detached.stdout);
  t.after(() => client.cancel(id).catch(() => undefined));
  await waitFor('the detached job to run', 30_000, async () => (await client.progress(id)).status === 'RUNNING');

  const listed = await weir('list', '-m', m);
  assert.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.trim().split('\n');
  assert.match(lines[0]!, /^JOB ID\s+NAME\s+STATE\s+START TIME\s+DURATION(\s+THROUGHPUT)?$/);
  assert.equal(lines.length, 2, 'only the running job: ' + listed.stdout);
  assert.match(lines[1]!, new RegExp(`^${id}\\s+backpressure\\s+RUNNING\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+\\S+`));

  const cancelled = await weir('cancel', id, '-m', m);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.equal(cancelled.stdout, `Cancelled job ${id}.\n`);
  assert.equal((await client.rest.jobStatus(id)).status, 'CANCELED');

  assert.equal((await weir('list', '-m', m)).stdout, 'No running jobs.\n');
  const all = await weir('list', '--all', '-m', m);
  assert.match(all.stdout, new RegExp(`^${id}\\s+backpressure\\s+CANCELED`, 'm'));
  assert.match(all.stdout, /cli-attached\s+FINISHED/);
  assert.match(all.stdout, /count-a\s+FINISHED/);

  const unknown = await weir('cancel', '0'.repeat(32), '-m', m);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^Error: Job 0{32} not found/m);
  const again = await weir('cancel', id, '-m', m);
  assert.equal(again.code, 0, 'cancelling a cancelled job is accepted');

  const free = await freePort();
  const nobody = await weir('list', '-m', `127.0.0.1:${free}`);
  assert.equal(nobody.code, 1);
  assert.match(
    nobody.stderr,
    new RegExp(`^Error: Cannot reach the JobManager's REST API at http://127\\.0\\.0\\.1:${free} \\(ECONNREFUSED\\)`, 'm'),
  );
  assert.match(nobody.stderr, /\[WEIR_JOBMANAGER_UNREACHABLE\]/, 'an absent JobManager is not a configuration error');
  const bad = await weir('list', '-m', 'nohostport');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /-m\/--jobmanager must be host:port/);
});
