/**
 * Per-partition watermarks of KafkaSource on a real broker: one reader holds two partitions whose
 * event times (the Kafka record timestamps) are far apart. The partition behind holds the
 * watermark back, so none of its records is late although the other partition is seconds ahead;
 * once it goes idle (withIdleness) the event-time windows of the partition ahead fire.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { createTopic, produceAt, readCommitted, startKafka, type KafkaBroker } from '../helpers/services/kafka.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'kafka-windows.ts');

let broker: KafkaBroker;
before(async () => {
  broker = await startKafka();
});
after(async () => {
  await broker?.close();
});

type Row = { start?: number; n?: number; late?: number };

test('a partition behind in event time holds the watermark back until idle; windows then fire, none late', async () => {
  await createTopic(broker.bootstrap, 'w-in', 2);
  await createTopic(broker.bootstrap, 'w-out', 1);
  // Partition 0 is ahead: three full windows from 10 s on before the job starts, more while it runs.
  await produceAt(
    broker.bootstrap,
    'w-in',
    0,
    Array.from({ length: 300 }, (_, i) => ({ value: i, timestamp: 10_000 + i * 10 })),
  );
  // Partition 1 is behind, below 2 s, and writes for about two seconds while the job runs, then stops.
  await produceAt(broker.bootstrap, 'w-in', 1, [
    { value: 500, timestamp: 500 },
    { value: 1500, timestamp: 1500 },
  ]);
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 1 });
  let jobId = '';
  const run = runProgram({
    program: PROGRAM,
    args: [broker.bootstrap, 'w-in', 'w-out', '1000', '3000'],
    cluster,
    config: Configuration.fromEntries({}),
    listener: { onSubmitted: (j) => (jobId = j.jobId) },
  });
  run.catch(() => undefined);
  const rows = async (): Promise<Row[]> =>
    (await readCommitted(broker.bootstrap, 'w-out')).map((r) => JSON.parse(r.value!.toString('utf8')) as Row);
  try {
    // The first window fires when partition 1 passed 1 s, although partition 0 is at 13 s: the reader reads both.
    let out: Row[] = [];
    await waitFor('the first window', 60_000, async () => {
      out = await rows();
      return out.some((r) => r.start === 0);
    });
    // Paced records of partition 1 reach the reader after partition 0's: with one watermark for the
    // whole source they would all be late (event time would be past 13 s already).
    for (let i = 1; i < 20; i++) {
      await produceAt(broker.bootstrap, 'w-in', 1, [{ value: 1500 + i * 100, timestamp: 1500 + i * 100 }]);
      await produceAt(broker.bootstrap, 'w-in', 0, [{ value: 13_000 + i * 10, timestamp: 13_000 + i * 10 }]);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Partition 1 is silent now; partition 0 goes on, so once partition 1 is idle event time follows it.
    // Bounded by time, not by count: idleness (3 s) and the checkpoint that commits the output must pass.
    const fired = (): boolean => out.some((r) => r.start === 13_000);
    let i = 0;
    await waitFor(
      'the windows up to 14 s to fire after partition 1 went idle',
      60_000,
      async () => {
        await produceAt(broker.bootstrap, 'w-in', 0, [{ value: 14_000 + i * 100, timestamp: 14_000 + i * 100 }]);
        i++;
        out = await rows();
        return fired();
      },
      { maxIntervalMs: 100 },
    );
    const windows = out.filter((r) => r.start !== undefined && r.start < 14_000).sort((a, b) => a.start! - b.start!);
    assert.deepEqual(windows, [
      { start: 0, n: 1 },
      { start: 1000, n: 5 },
      { start: 2000, n: 10 },
      { start: 3000, n: 5 },
      { start: 10_000, n: 100 },
      { start: 11_000, n: 100 },
      { start: 12_000, n: 100 },
      { start: 13_000, n: 19 },
    ]);
    assert.deepEqual(
      out.filter((r) => r.late !== undefined),
      [],
      'no record is late',
    );
  } finally {
    const job = cluster.jobManager.dispatcher.job(jobId);
    if (job && !['FINISHED', 'FAILED', 'CANCELED'].includes(job.status)) job.cancel();
    await run.catch(() => undefined);
    await cluster.close();
  }
});
