/**
 * NatsSource and NatsSink on a real NATS server with JetStream (Debian's nats-server):
 * - exactly once end to end: a job reads keyed numbers from a stream (unbounded, ordered consumer),
 *   keeps per-key running sums and publishes every update to another stream with EXACTLY_ONCE
 *   (Nats-Msg-Id deduplication); TaskManager processes of the job are killed with SIGKILL at random
 *   moments while the input arrives (spare processes take over, the job restores its latest
 *   checkpoint). The output stream holds every expected update exactly once.
 * - a bounded source (durable consumer) ends at the stream's last sequence at start and
 *   acknowledges its durable consumer when checkpoints complete;
 * - examples/nats-word-count.ts runs through `weir run` and counts every word once;
 * - bad builder settings fail with WEIR_CONNECTOR_CONFIG naming the setting.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { Configuration } from '../../dist/config/index.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { NatsSink, NatsSource, NatsStartPosition } from '../../dist/connectors/nats/index.js';
import { startNats, type NatsServer } from '../helpers/services/nats.js';
import { waitFor } from '../helpers/wait.js';
import {
  cancelUnlessEnded,
  killTaskManagers,
  startProcessCluster,
  submitChaosJob,
  type ProcessCluster,
} from '../helpers/process-cluster.js';
import { weir } from './deploy-helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'nats-sums.ts');
const KEYS = 7;
const KILLS = 5;

let server: NatsServer;
before(async () => {
  server = await startNats();
});
after(async () => {
  await server?.close();
});

interface Row {
  k: number;
  v: number;
  n: number;
}

/** Every update of `values` (keyed by v % KEYS) exactly once, per key in order of n. */
function assertExactlyOnceSums(rows: readonly Row[], values: readonly number[]): void {
  assert.equal(rows.length, values.length, `one update per input record (${rows.length} for ${values.length})`);
  for (let k = 0; k < KEYS; k++) {
    const vs = values.filter((v) => v % KEYS === k);
    const got = rows.filter((r) => r.k === k).sort((a, b) => a.n - b.n);
    assert.equal(got.length, vs.length, `key ${k}: updates`);
    for (let i = 0; i < got.length; i++) if (got[i]!.n !== i + 1) assert.fail(`key ${k}: update ${i + 1} is missing or repeated`);
    assert.equal(
      got.at(-1)?.v ?? 0,
      vs.reduce((a, b) => a + b, 0),
      `key ${k}: final sum`,
    );
  }
}

const rowsOf = async (stream: string): Promise<Row[]> =>
  (await server.readStream(stream)).map((m) => JSON.parse(Buffer.from(m.data).toString('utf8')) as Row);

test(`NATS → running sums → NATS with EXACTLY_ONCE: ${KILLS} TaskManagers killed with SIGKILL, the output stream holds every update exactly once`, async (t) => {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-nats-chaos-'));
  await server.createStream('CHAOS_IN', ['chaos.in']);
  await server.createStream('CHAOS_OUT', ['chaos.out']);
  let cluster: ProcessCluster | undefined;
  const values: number[] = [];
  let jobId: string | undefined;
  let producing = true;
  const producer = (async () => {
    // Input arrives while the job runs and TaskManagers die: 100 records every 100 ms.
    for (let round = 0; producing && round < 2000; round++) {
      const batch = Array.from({ length: 100 }, (_, i) => values.length + i);
      await server.publishJson(
        'chaos.in',
        batch.map((v) => ({ k: v % KEYS, v })),
      );
      values.push(...batch);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    cluster = await startProcessCluster(dir, 3, { 'heartbeat.timeout': '3 s' });
    const job = await submitChaosJob(cluster, {
      program: PROGRAM,
      args: [server.url, 'CHAOS_IN', 'chaos.out', 'chaos', '250', 'unbounded', 'EXACTLY_ONCE', 'ordered'],
      kills: KILLS,
      checkpointDir: path.join(dir, 'checkpoints'),
      onSubmitted: (id) => (jobId = id),
    });
    // Each kill at a random moment (mid-publish or during recovery), the first after a checkpoint.
    const killed = await killTaskManagers(cluster, job, {
      kills: KILLS,
      checkpoints: 'first',
      pauseMs: () => 500 + Math.floor(Math.random() * 1500),
      replace: true,
      onKill: (k, ms) =>
        t.diagnostic(`kill ${k} at ${Date.now() - started} ms, failover seen after ${ms} ms (${values.length} records published)`),
    });
    assert.equal(killed, KILLS);
    producing = false;
    await producer;
    let rows: Row[] = [];
    await waitFor(`all ${values.length} updates to be published`, 45_000, async () => {
      rows = await rowsOf('CHAOS_OUT');
      return rows.length >= values.length;
    }).catch((e: Error) => {
      throw new Error(
        `${e.message}: ${rows.length} published; job ${job.status}, failures ${JSON.stringify(job.exceptions.slice(-3).map((x) => x.error.message))}`,
      );
    });
    job.cancel();
    await waitFor('the job to be cancelled', 15_000, () => job.status === 'CANCELED');
    assert.ok(job.attempt >= KILLS, `the job failed over after each kill (attempt ${job.attempt})`);
    assertExactlyOnceSums(rows, values);
    t.diagnostic(
      `${values.length} records, ${KILLS} kills, ${job.attempt} restarts, ${job.checkpointStats().counts.completed} checkpoints, ${Date.now() - started} ms`,
    );
  } finally {
    producing = false;
    await producer.catch(() => undefined);
    cancelUnlessEnded(cluster, jobId);
    await cluster?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a bounded NatsSource (durable consumer) ends at the stream’s last sequence at start and acknowledges on checkpoint completion', async () => {
  await server.createStream('B_IN', ['b.in']);
  await server.createStream('B_OUT', ['b.out']);
  const count = 3000;
  await server.publishJson(
    'b.in',
    Array.from({ length: count }, (_, v) => ({ k: v % KEYS, v })),
  );
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2 });
  try {
    const r = await runProgram({
      program: PROGRAM,
      args: [server.url, 'B_IN', 'b.out', 'bounded', '200', 'bounded', 'EXACTLY_ONCE', 'weir-bounded'],
      cluster,
      config: Configuration.fromEntries({}),
    });
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
  } finally {
    await cluster.close();
  }
  const rows = await rowsOf('B_OUT');
  assertExactlyOnceSums(
    rows,
    Array.from({ length: count }, (_, v) => v),
  );
  // The durable consumer was acknowledged (AckPolicy.All) up to a completed checkpoint's position.
  const info = await (await jetstreamManager(server.nc)).consumers.info('B_IN', 'weir-bounded');
  assert.equal(info.ack_floor.stream_seq, count, 'acknowledged up to the last message (the final checkpoint covers it)');
});

test('examples/nats-word-count.ts runs with weir run (bounded) and counts every word once', async () => {
  await server.createStream('LINES', ['lines']);
  await server.createStream('WORD_COUNTS', ['word-counts']);
  const lines = ['to be or not to be', 'that is the question', 'to be is to do'];
  // publishJson writes JSON strings: the example reads the raw data, quotes are not word characters.
  await server.publishJson('lines', lines);
  const r = weir('run', '-p', '2', path.join(root, 'examples/nats-word-count.ts'), '--', server.url, 'LINES', 'word-counts', 'bounded');
  assert.equal(r.code, 0, r.out);
  const updates = new Map<string, number[]>();
  for (const m of await server.readStream('WORD_COUNTS')) {
    const { word, n } = JSON.parse(Buffer.from(m.data).toString('utf8')) as { word: string; n: number };
    updates.set(word, [...(updates.get(word) ?? []), n]);
  }
  const expected = new Map<string, number>();
  for (const l of lines) for (const w of l.split(/\W+/)) if (w) expected.set(w, (expected.get(w) ?? 0) + 1);
  // Every update exactly once: counts 1..n per word, in order.
  assert.deepEqual(
    Object.fromEntries([...updates].sort()),
    Object.fromEntries([...expected].sort().map(([w, n]) => [w, Array.from({ length: n }, (_, i) => i + 1)])),
  );
});

test('bad NatsSource and NatsSink settings fail with WEIR_CONNECTOR_CONFIG naming the setting', () => {
  const code = { code: 'WEIR_CONNECTOR_CONFIG' };
  assert.throws(() => NatsSource.builder().setStream('s').setDeserializer('json').build(), {
    ...code,
    message: /setServers: servers are not set/,
  });
  assert.throws(() => NatsSource.builder().setServers('nohost').setStream('s').setDeserializer('json').build(), {
    ...code,
    message: /'nohost' is not nats:\/\/host:port/,
  });
  assert.throws(() => NatsSource.builder().setServers('nats://h:4222').setDeserializer('json').build(), {
    ...code,
    message: /setStream: no stream/,
  });
  assert.throws(() => NatsSource.builder().setStream('a.b'), { ...code, message: /setStream: bad name/ });
  assert.throws(() => NatsSource.builder().setServers('nats://h:4222').setStream('s').build(), {
    ...code,
    message: /setDeserializer: no deserializer/,
  });
  assert.throws(
    () =>
      NatsSource.builder()
        .setServers('nats://h:4222')
        .setStream('s')
        .setDeserializer('json')
        .setStartingPosition(NatsStartPosition.durable())
        .build(),
    { ...code, message: /setStartingPosition: the durable position needs a durable consumer/ },
  );
  assert.throws(() => NatsStartPosition.sequence(0), { ...code, message: /sequence must be an integer >= 1/ });
  assert.throws(() => NatsSource.builder().setProperty('no.such.key', 1), { ...code, message: /unknown property 'no.such.key'/ });
  assert.throws(
    () =>
      NatsSource.builder().setProperty('fetch.max.messages', -1).setServers('nats://h:1').setStream('s').setDeserializer('json').build(),
    {
      ...code,
      message: /fetch.max.messages must be a non-negative integer/,
    },
  );
  assert.throws(() => NatsSink.builder<number>().setServers('nats://h:4222').setSerializer('json').build(), {
    ...code,
    message: /setSubject: no subject/,
  });
  assert.throws(() => NatsSink.builder<number>().setSubject('out.*'), { ...code, message: /setSubject: 'out.\*' has wildcards/ });
  assert.throws(
    () =>
      NatsSink.builder<number>()
        .setServers('nats://h:4222')
        .setSubject('o')
        .setSerializer('json')
        .setDeliveryGuarantee('EXACTLY_ONCE')
        .build(),
    { ...code, message: /setMessageIdPrefix: EXACTLY_ONCE needs a message-id prefix/ },
  );
  assert.throws(() => NatsSink.builder<number>().setDeliveryGuarantee('TWICE' as 'NONE'), {
    ...code,
    message: /setDeliveryGuarantee: unknown delivery guarantee 'TWICE'/,
  });
});

test('a NatsSource on a stream that does not exist fails the job naming the stream', async () => {
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2 });
  try {
    const r = await runProgram({
      program: PROGRAM,
      args: [server.url, 'NO_SUCH_STREAM', 'none.out', 'missing', '200', 'bounded', 'AT_LEAST_ONCE', 'ordered'],
      cluster,
      config: Configuration.fromEntries({ 'restart-strategy.type': 'none' }),
    }).catch((e: unknown) => e);
    const text = JSON.stringify(r, Object.getOwnPropertyNames(r instanceof Error ? r : {}));
    assert.match(text, /NatsSource: setStream: stream 'NO_SUCH_STREAM' does not exist/);
  } finally {
    await cluster.close();
  }
});
