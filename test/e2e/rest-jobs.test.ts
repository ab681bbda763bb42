/**
 * The REST API of a session cluster, its jobs: jobs submitted concurrently run, get cancelled and
 * finish with the right results; runProgram with execution.target remote; large results travel as
 * blobs; every documented path uses Flink's field names; bad requests get 4xx JSON errors without
 * disturbing a running job. (Uploads, timeouts, tokens, binds and the `weir` CLI: rest-server.test.ts.)
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import type { RemoteClusterClient } from '../../dist/client/remote-cluster-client.js';
import { runProgram } from '../../dist/client/run-program.js';
import { Configuration } from '../../dist/config/index.js';
import { planJson } from '../../dist/graph/plan.js';
import { RestApiError } from '../../dist/rest/client.js';
import type { RestServer } from '../../dist/rest/server.js';
import {
  assertHasKeys,
  collectedSums,
  expectedSums,
  http,
  keys,
  prepare,
  startRestSession,
  within,
  type RestSession,
} from '../helpers/rest-session.js';
import { waitFor } from '../helpers/wait.js';

let session: RestSession | undefined;
let cluster: LocalMiniCluster;
let server: RestServer;
let client: RemoteClusterClient;
let port: string;
let blobDir: string;

before(async () => {
  session = await startRestSession();
  ({ cluster, server, client, port, blobDir } = session);
});

after(async () => {
  await session?.close();
});
const jobs: { finished: string[]; cancelled: string; failed?: string } = { finished: [], cancelled: '' };

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
