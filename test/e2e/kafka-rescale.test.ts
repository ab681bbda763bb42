/**
 * KafkaSink EXACTLY_ONCE across a change of parallelism, on a real broker: a job at parallelism 2
 * is cancelled while its transactions are open (its retained checkpoint is restored at
 * parallelism 1), then again (restored at parallelism 3). The transactions subtask 1 left open when
 * it vanished are aborted by the subtask that inherits its writer state, so read_committed readers
 * are not blocked until the transaction timeout, and every update is in the output exactly once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { createTopic, produceJson, readCommitted, startKafka, type KafkaBroker } from '../helpers/services/kafka.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SUMS = path.join(root, 'test', 'programs', 'kafka-sums.ts');
const KEYS = 7;

let broker: KafkaBroker;
before(async () => {
  broker = await startKafka();
});
after(async () => {
  await broker?.close();
});

interface Row {
  k: number;
  v: number;
  n: number;
}

test('EXACTLY_ONCE output restored at parallelism 1 and 3 from a job at 2 cancelled mid-transaction: every update once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-kafka-rescale-'));
  await createTopic(broker.bootstrap, 'rs-in', 3);
  await createTopic(broker.bootstrap, 'rs-out', 2);
  const checkpoints = path.join(dir, 'checkpoints');
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 3 });
  let produced = 0;
  let producing = false;
  let producer: Promise<void> = Promise.resolve();
  // Input keeps arriving while a job runs, so it is cancelled with records in open transactions.
  const produce = (): void => {
    producing = true;
    producer = (async () => {
      for (let round = 0; producing && round < 600; round++) {
        const batch = Array.from({ length: 50 }, (_, i) => produced + i);
        await produceJson(
          broker.bootstrap,
          'rs-in',
          batch.map((v) => ({ k: v % KEYS, v })),
          (r) => String(r.k),
        );
        produced += batch.length;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  };
  const rows = async (): Promise<Row[]> =>
    (await readCommitted(broker.bootstrap, 'rs-out')).map((r) => JSON.parse(r.value!.toString('utf8')) as Row);
  const config = (restore?: string): Configuration =>
    Configuration.fromEntries({
      'execution.checkpointing.dir': checkpoints,
      'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION',
      ...(restore ? { 'execution.savepoint.path': path.join(checkpoints, restore) } : {}),
    });
  /** Runs the job at `parallelism` (restoring `restore`), until `done()`, then cancels it; returns its id. */
  const phase = async (parallelism: number, restore: string | undefined, done: (id: string) => Promise<boolean>): Promise<string> => {
    let id = '';
    const run = runProgram({
      program: SUMS,
      args: [broker.bootstrap, 'rs-in', 'rs-out', 'rescale', '300', 'unbounded', 'EXACTLY_ONCE', String(parallelism)],
      cluster,
      config: config(restore),
      listener: { onSubmitted: (j) => (id = j.jobId) },
    });
    run.catch(() => undefined);
    try {
      await waitFor(`the job at parallelism ${parallelism} to start`, 30_000, () => id !== '');
      await waitFor(`the job at parallelism ${parallelism} to do its part`, 40_000, () => done(id));
    } finally {
      if (id) await cluster.cancel(id).catch(() => undefined);
      await run.catch(() => undefined);
    }
    return id;
  };
  const checkpointsOf = (id: string): number => cluster.jobManager.dispatcher.job(id).checkpointStats().counts.completed;
  try {
    produce();
    const first = await phase(2, undefined, async (id) => checkpointsOf(id) >= 3);
    producing = false;
    await producer;
    // At parallelism 1 everything so far becomes visible: nothing of subtask 1 stays open (an open
    // transaction would hold read_committed readers back until its timeout, 60 s).
    const before = produced;
    const second = await phase(1, first, async (id) => checkpointsOf(id) >= 1 && (await rows()).length >= before);
    produce();
    await waitFor('more input', 30_000, () => produced >= before + 1000);
    producing = false;
    await producer;
    const total = produced;
    let out: Row[] = [];
    await phase(3, second, async () => {
      out = await rows();
      return out.length >= total;
    });
    assert.equal(out.length, total, `one update per record (${out.length} for ${total})`);
    for (let k = 0; k < KEYS; k++) {
      const xs = out.filter((r) => r.k === k).sort((a, b) => a.n - b.n);
      for (let i = 0; i < xs.length; i++) assert.equal(xs[i]!.n, i + 1, `key ${k}: update ${i + 1} missing or repeated`);
      let sum = 0;
      for (let v = k; v < total; v += KEYS) sum += v;
      assert.equal(xs.at(-1)?.v ?? 0, sum, `key ${k}: final sum`);
    }
  } finally {
    producing = false;
    await producer.catch(() => undefined);
    await cluster.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
