/**
 * The REST server of a session cluster, its edges and its command line: `weir list`, `weir cancel`
 * and `weir run -m` (attached and detached) against it; uploads are size-limited and
 * content-addressed; requests that never send their body time out; tokens and binds are enforced;
 * DELETE /cluster shuts down. (Jobs and the documented paths: rest-jobs.test.ts.)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { connect as connectSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import type { RemoteClusterClient } from '../../dist/client/remote-cluster-client.js';
import { Configuration } from '../../dist/config/index.js';
import { RestApiError, RestClient } from '../../dist/rest/client.js';
import { isLoopbackAddress, startRestServer } from '../../dist/rest/server.js';
import { freePort } from '../helpers/ports.js';
import { expectedSums, http, startRestSession, weir, within, type RestSession } from '../helpers/rest-session.js';
import { waitFor } from '../helpers/wait.js';

let session: RestSession | undefined;
let cluster: LocalMiniCluster;
let client: RemoteClusterClient;
let port: string;

before(async () => {
  session = await startRestSession();
  ({ cluster, client, port } = session);
});

after(async () => {
  await session?.close();
});
/** The job the CLI test cancels: later tests ask for it with and without a token. */
const jobs = { cancelled: '' };

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
  jobs.cancelled = id;

  assert.equal((await weir('list', '-m', m)).stdout, 'No running jobs.\n');
  const all = await weir('list', '--all', '-m', m);
  assert.match(all.stdout, new RegExp(`^${id}\\s+backpressure\\s+CANCELED`, 'm'));
  assert.match(all.stdout, /cli-attached\s+FINISHED/);

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
