/**
 * How a JobManager serves the dashboard and runs uploaded programs, over plain HTTP: index.html and
 * hashed assets with their content types and cache headers, open without the REST token while
 * every API path still needs it (and is never shadowed); `POST /bundles/:id/run-program` refuses
 * bad input with clear errors (unknown bundle, bad parallelism, a source that does not bundle, a
 * main() that throws), and a JobManager that cannot run main() answers 501.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runJobManager, type JobManagerProcess } from '../../dist/cluster/standalone/jobmanager-main.js';
import { Configuration } from '../../dist/config/index.js';
import { startRestServer } from '../../dist/rest/server.js';

const TOKEN = 'serving-test-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'weir-dashboard-serving-'));
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
let jm: JobManagerProcess;
let base = '';
const auth = { authorization: `Bearer ${TOKEN}` };

before(async () => {
  const config = Configuration.fromEntries({ 'rest.port': 0, 'jobmanager.rpc.port': 0, 'security.rest.token': TOKEN });
  jm = await runJobManager(config, { handleSignals: false, log: quiet, blobDir: join(dir, 'blobs') });
  base = jm.restUrl!;
});

after(async () => {
  await jm?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function uploadSource(name: string, source: string): Promise<string> {
  const r = await fetch(`${base}/bundles/upload?name=${name}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    body: source,
  });
  assert.equal(r.status, 200);
  return ((await r.json()) as { id: string }).id;
}

async function runProgram(
  id: string,
  body: unknown,
): Promise<{ status: number; body: { errors?: string[]; code?: string; jobid?: string } }> {
  const r = await fetch(`${base}/bundles/${id}/run-program`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as { errors?: string[]; code?: string } };
}

test('the page and its hashed assets load without the token; the API still needs it', async () => {
  const index = await fetch(`${base}/`);
  assert.equal(index.status, 200);
  assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
  const html = await index.text();
  const js = /src="\/assets\/(main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
  const css = /href="\/assets\/(main-[A-Z0-9]+\.css)"/.exec(html)?.[1];
  assert.ok(js && css, html);
  assert.deepEqual(readdirSync('dist/web/assets').sort(), [css, js].sort());
  assert.equal((await fetch(`${base}/index.html`)).status, 200);

  const script = await fetch(`${base}/assets/${js}`);
  assert.equal(script.status, 200);
  assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.ok((await script.text()).length > 10_000);
  assert.equal((await fetch(`${base}/assets/${css}`)).headers.get('content-type'), 'text/css; charset=utf-8');
  // An asset that is not there is a 404 (without the token: the assets path is open, its answers hold nothing).
  assert.equal((await fetch(`${base}/assets/main-NOPE.js`)).status, 404);

  // The API paths are not shadowed by the dashboard, and need the token.
  for (const path of ['/overview', '/jobs/overview', '/jobs/0123456789abcdef0123456789abcdef', '/index.html/../overview']) {
    const r = await fetch(`${base}${path}`);
    assert.equal(r.status, 401, path);
  }
  const overview = await fetch(`${base}/overview`, { headers: auth });
  assert.equal(overview.status, 200);
  assert.equal(((await overview.json()) as { taskmanagers: number }).taskmanagers, 0);
  // Only GET opens the page without the token.
  assert.equal((await fetch(`${base}/`, { method: 'POST' })).status, 401);
});

test('run-program refuses what it cannot run, with clear errors', async () => {
  const unknown = await runProgram('0'.repeat(64), {});
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.errors![0]!, /Bundle 0{64} not found: upload it first/);

  const ok = await uploadSource(
    'fine.ts',
    "import { StreamExecutionEnvironment } from 'weir';\nStreamExecutionEnvironment.getExecutionEnvironment();\n",
  );
  const badParallelism = await runProgram(ok, { parallelism: 0 });
  assert.equal(badParallelism.status, 400);
  assert.match(badParallelism.body.errors![0]!, /parallelism must be >= 1/);
  const unknownField = await runProgram(ok, { entryClass: 'Main' });
  assert.equal(unknownField.status, 400);

  // main() that never calls execute(): nothing ran.
  const noExecute = await runProgram(ok, {});
  assert.equal(noExecute.status, 400);
  assert.equal(noExecute.body.code, 'WEIR_PROGRAM_NO_EXECUTE');

  const broken = await uploadSource('broken.ts', 'const x: number = ;\n');
  const notBundled = await runProgram(broken, {});
  assert.equal(notBundled.status, 400);
  assert.equal(notBundled.body.code, 'WEIR_PROGRAM_BUNDLE');
  assert.match(notBundled.body.errors![0]!, /Cannot bundle .*program\.ts:1:\d+/);

  const throws = await uploadSource('throws.js', "throw new Error('no input given');\n");
  const thrown = await runProgram(throws, { programArgsList: ['a'] });
  assert.equal(thrown.status, 400);
  assert.equal(thrown.body.code, 'WEIR_PROGRAM_FAILED');
  assert.match(thrown.body.errors![0]!, /no input given/);
});

test('a JobManager without a program runner (the local cluster) answers run-program with 501', async () => {
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 1 });
  const server = await startRestServer({
    jobManager: cluster.jobManager,
    config: Configuration.fromEntries({ 'rest.port': 0 }),
    blobDir: join(dir, 'local-blobs'),
  });
  try {
    const up = await fetch(`${server.url}/bundles/upload?name=p.ts`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: 'export {};\n',
    });
    const { id } = (await up.json()) as { id: string };
    const r = await fetch(`${server.url}/bundles/${id}/run-program`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(r.status, 501);
    assert.match(((await r.json()) as { errors: string[] }).errors[0]!, /does not run programs' main\(\).*weir run/);
  } finally {
    await server.close();
    await cluster.close();
  }
});
