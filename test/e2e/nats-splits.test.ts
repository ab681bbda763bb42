/**
 * A NatsSource has one split per filter subject: at parallelism 2 a source over two subjects reads
 * with both readers, and the job keeps per-key running sums published with EXACTLY_ONCE (message
 * ids from the key and its count) while TaskManager processes are killed with SIGKILL: every update
 * is in the output stream exactly once. A bounded source over two subjects with durable consumers
 * has a consumer per split, each acknowledged to its subject's last message. Overlapping filter
 * subjects are refused.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { runProgram } from '../../dist/client/run-program.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { NatsSink, NatsSource } from '../../dist/connectors/nats/index.js';
import { startNats, type NatsServer } from '../helpers/services/nats.js';
import { waitFor } from '../helpers/wait.js';
import {
  cancelUnlessEnded,
  killTaskManagers,
  startProcessCluster,
  submitChaosJob,
  type ProcessCluster,
} from '../helpers/process-cluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'nats-splits.ts');
const KEYS = 7;
const KILLS = 2;

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
  r: number;
}

test(`two filter subjects are two splits: at parallelism 2 both readers read; ${KILLS} TaskManagers killed, every update exactly once`, async (t) => {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-nats-splits-'));
  await server.createStream('SP_IN', ['sp.*']);
  await server.createStream('SP_OUT', ['sp-out']);
  let cluster: ProcessCluster | undefined;
  const values: number[] = [];
  let jobId: string | undefined;
  let producing = true;
  const producer = (async () => {
    // Keys split by subject (even keys on sp.0, odd on sp.1): each key is read by one split, in order.
    for (let round = 0; producing && round < 2000; round++) {
      const batch = Array.from({ length: 100 }, (_, i) => values.length + i);
      for (const s of [0, 1])
        await server.publishJson(
          `sp.${s}`,
          batch.filter((v) => (v % KEYS) % 2 === s).map((v) => ({ k: v % KEYS, v })),
        );
      values.push(...batch);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    cluster = await startProcessCluster(dir, 3, { 'heartbeat.timeout': '3 s' });
    const job = await submitChaosJob(cluster, {
      program: PROGRAM,
      args: [server.url, 'SP_IN', 'sp.0,sp.1', 'sp-out', 'splits', '250'],
      kills: KILLS,
      checkpointDir: path.join(dir, 'checkpoints'),
      onSubmitted: (id) => (jobId = id),
    });
    const killed = await killTaskManagers(cluster, job, {
      kills: KILLS,
      checkpoints: 'first',
      pauseMs: () => 500 + Math.floor(Math.random() * 1000),
      replace: true,
      onKill: (k, ms) => t.diagnostic(`kill ${k} at ${Date.now() - started} ms, failover seen after ${ms} ms`),
    });
    assert.equal(killed, KILLS);
    producing = false;
    await producer;
    let rows: Row[] = [];
    await waitFor(`all ${values.length} updates to be published`, 45_000, async () => {
      rows = (await server.readStream('SP_OUT')).map((m) => JSON.parse(Buffer.from(m.data).toString('utf8')) as Row);
      return rows.length >= values.length;
    }).catch((e: Error) => {
      throw new Error(`${e.message}: ${rows.length} published; job ${job.status}`);
    });
    job.cancel();
    await waitFor('the job to be cancelled', 15_000, () => job.status === 'CANCELED');
    assert.equal(rows.length, values.length, `one update per input record (${rows.length} for ${values.length})`);
    let readers = 0;
    for (let k = 0; k < KEYS; k++) {
      const vs = values.filter((v) => v % KEYS === k);
      const got = rows.filter((r) => r.k === k).sort((a, b) => a.n - b.n);
      assert.equal(got.length, vs.length, `key ${k}: updates`);
      for (let i = 0; i < got.length; i++) if (got[i]!.n !== i + 1) assert.fail(`key ${k}: update ${i + 1} is missing or repeated`);
      assert.equal(
        got.at(-1)?.v,
        vs.reduce((a, b) => a + b, 0),
        `key ${k}: final sum`,
      );
      readers |= got.at(-1)!.r;
    }
    assert.equal(readers, 0b11, 'both source subtasks read records');
    t.diagnostic(`${values.length} records, ${job.attempt} restarts, ${Date.now() - started} ms`);
  } finally {
    producing = false;
    await producer.catch(() => undefined);
    cancelUnlessEnded(cluster, jobId);
    await cluster?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a bounded source over two filter subjects with durable consumers: one consumer per split, both acknowledged to their last message', async () => {
  await server.createStream('SB_IN', ['sb.*']);
  await server.createStream('SB_OUT', ['sb-out']);
  const count = 2000;
  for (const s of [0, 1])
    await server.publishJson(
      `sb.${s}`,
      Array.from({ length: count }, (_, v) => v)
        .filter((v) => (v % KEYS) % 2 === s)
        .map((v) => ({ k: v % KEYS, v })),
    );
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2 });
  try {
    const r = await runProgram({
      program: PROGRAM,
      args: [server.url, 'SB_IN', 'sb.0,sb.1', 'sb-out', 'bounded-splits', '200', 'bounded', 'weir-splits'],
      cluster,
      config: Configuration.fromEntries({}),
    });
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
  } finally {
    await cluster.close();
  }
  const rows = (await server.readStream('SB_OUT')).map((m) => JSON.parse(Buffer.from(m.data).toString('utf8')) as Row);
  assert.equal(rows.length, count, 'one update per input record');
  assert.equal(
    rows.reduce((a, r) => a | r.r, 0),
    0b11,
    'both source subtasks read records',
  );
  const jsm = await jetstreamManager(server.nc);
  const messages = await server.readStream('SB_IN');
  for (const s of [0, 1]) {
    const info = await jsm.consumers.info('SB_IN', `weir-splits-${s}`);
    assert.equal(info.config.filter_subject, `sb.${s}`);
    assert.equal(
      info.ack_floor.stream_seq,
      Math.max(...messages.filter((m) => m.subject === `sb.${s}`).map((m) => m.seq)),
      `consumer weir-splits-${s} acknowledged up to its subject's last message`,
    );
  }
});

test('overlapping filter subjects and a message-id selector that is not a function are refused with WEIR_CONNECTOR_CONFIG', () => {
  assert.throws(() => NatsSink.builder<number>().setMessageIdSelector('k' as unknown as (n: number) => string), {
    code: 'WEIR_CONNECTOR_CONFIG',
    message: /setMessageIdSelector: not a function/,
  });
  for (const [a, b] of [
    ['orders.>', 'orders.eu'],
    ['orders.*', 'orders.eu'],
    ['*.eu', 'orders.*'],
    ['orders.eu', 'orders.eu'],
  ])
    assert.throws(() => NatsSource.builder().setFilterSubjects(a!, b!), {
      code: 'WEIR_CONNECTOR_CONFIG',
      message: new RegExp(`setFilterSubjects: '${a!.replace(/[.*>]/g, '\\$&')}' and '.*' overlap`),
    });
  for (const [a, b] of [
    ['orders.eu', 'orders.us'],
    ['orders.>', 'invoices.>'],
    ['orders.*', 'orders.eu.x'],
    ['orders', 'orders.>'],
  ])
    assert.doesNotThrow(() => NatsSource.builder().setFilterSubjects(a!, b!), `${a} and ${b} do not overlap`);
});
