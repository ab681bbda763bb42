/**
 * KafkaSource and KafkaSink on a real broker (one per file): a bounded source ends and commits its
 * offsets to the group; the Kafka word-count example runs end to end through `weir run`; an
 * unbounded job survives the broker being stopped and started again mid-job without losing or
 * repeating a record; bad builder settings fail with WEIR_CONNECTOR_CONFIG.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { KafkaRecordSerializationSchema, KafkaSink, KafkaSource, OffsetsInitializer } from '../../dist/connectors/kafka/index.js';
import { createTopic, produceJson, readCommitted, startKafka, type KafkaBroker } from '../helpers/services/kafka.js';
import { waitFor } from '../helpers/wait.js';
import { createConsumer, resolveOffsets, closeQuietly } from '../../dist/connectors/kafka/kafka-client.js';
import { weir } from './deploy-helpers.js';

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

function assertSums(rows: Row[], count: number): void {
  assert.equal(rows.length, count, `one update per record (${rows.length} for ${count})`);
  for (let k = 0; k < KEYS; k++) {
    const xs = rows.filter((r) => r.k === k).sort((a, b) => a.n - b.n);
    for (let i = 0; i < xs.length; i++) assert.equal(xs[i]!.n, i + 1, `key ${k}: update ${i + 1} missing or repeated`);
    let total = 0;
    for (let i = k; i < count; i += KEYS) total += i;
    assert.equal(xs.at(-1)?.v ?? 0, total, `key ${k}: final sum`);
  }
}

const rowsOf = async (topic: string): Promise<Row[]> =>
  (await readCommitted(broker.bootstrap, topic)).map((r) => JSON.parse(r.value!.toString('utf8')) as Row);

test('a bounded KafkaSource ends at the offsets of its start; EXACTLY_ONCE output; offsets committed to the group', async () => {
  await createTopic(broker.bootstrap, 'b-in', 3);
  await createTopic(broker.bootstrap, 'b-out', 2);
  const count = 3000;
  await produceJson(
    broker.bootstrap,
    'b-in',
    Array.from({ length: count }, (_, v) => ({ k: v % KEYS, v })),
    (r) => String(r.k),
  );
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2 });
  try {
    const r = await runProgram({
      program: SUMS,
      args: [broker.bootstrap, 'b-in', 'b-out', 'bounded', '300', 'bounded', 'EXACTLY_ONCE'],
      cluster,
      config: Configuration.fromEntries({}),
    });
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
  } finally {
    await cluster.close();
  }
  assertSums(await rowsOf('b-out'), count);
  // The group's committed offsets reached the end of each partition (committed on checkpoint completion).
  const consumer = createConsumer(broker.bootstrap, 'check', 'bounded-group', true, 100);
  try {
    const tps = [0, 1, 2].map((partition) => ({ topic: 'b-in', partition }));
    const committed = await resolveOffsets(consumer, tps, OffsetsInitializer.committedOffsets('NONE'), true);
    const end = await resolveOffsets(consumer, tps, OffsetsInitializer.latest(), true);
    const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    assert.ok(
      sum(committed) > 0 && sum(committed) <= sum(end),
      `committed ${JSON.stringify([...committed])} of ${JSON.stringify([...end])}`,
    );
  } finally {
    await closeQuietly(consumer);
  }
});

test('examples/kafka-word-count.ts runs with weir run (bounded) and counts every word once', async () => {
  await createTopic(broker.bootstrap, 'lines', 2);
  const lines = ['to be or not to be', 'that is the question', 'to be is to do'];
  await produceJson(broker.bootstrap, 'lines', lines, (l) => l);
  // produceJson writes JSON strings: the example reads the raw value, quotes are not word characters.
  const r = weir(
    'run',
    '-p',
    '2',
    path.join(root, 'examples/kafka-word-count.ts'),
    '--',
    broker.bootstrap,
    'lines',
    'word-counts',
    'bounded',
  );
  assert.equal(r.code, 0, r.out);
  const final = new Map<string, number>();
  for (const rec of await readCommitted(broker.bootstrap, 'word-counts')) {
    const { word, n } = JSON.parse(rec.value!.toString('utf8')) as { word: string; n: number };
    final.set(word, Math.max(final.get(word) ?? 0, n));
  }
  const expected = new Map<string, number>();
  for (const l of lines) for (const w of l.split(/\W+/)) if (w) expected.set(w, (expected.get(w) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries([...final].sort()), Object.fromEntries([...expected].sort()));
});

test('an unbounded job survives the broker stopped and started again mid-job, without loss or repeats', async () => {
  await createTopic(broker.bootstrap, 'r-in', 2);
  await createTopic(broker.bootstrap, 'r-out', 2);
  const first = 2000;
  const total = 4000;
  await produceJson(
    broker.bootstrap,
    'r-in',
    Array.from({ length: first }, (_, v) => ({ k: v % KEYS, v })),
    (r) => String(r.k),
  );
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2 });
  let jobId = '';
  const run = runProgram({
    program: SUMS,
    args: [broker.bootstrap, 'r-in', 'r-out', 'restart', '300', 'unbounded', 'EXACTLY_ONCE'],
    cluster,
    config: Configuration.fromEntries({
      'restart-strategy.type': 'fixed-delay',
      'restart-strategy.fixed-delay.attempts': 50,
      'restart-strategy.fixed-delay.delay': '500 ms',
    }),
    listener: { onSubmitted: (j) => (jobId = j.jobId) },
  });
  run.catch(() => undefined);
  try {
    await waitFor('the first records to be committed', 60_000, async () => (await rowsOf('r-out')).length === first);
    await broker.stop();
    // Down for a while: fetches, checkpoints and commits fail meanwhile.
    await new Promise((r) => setTimeout(r, 3000));
    await broker.start();
    await produceJson(
      broker.bootstrap,
      'r-in',
      Array.from({ length: total - first }, (_, i) => ({ k: (first + i) % KEYS, v: first + i })),
      (r) => String(r.k),
    );
    let rows: Row[] = [];
    await waitFor('every record to be committed after the restart', 60_000, async () => {
      rows = await rowsOf('r-out').catch(() => []);
      return rows.length >= total;
    });
    assertSums(rows, total);
  } finally {
    const job = cluster.jobManager.dispatcher.job(jobId);
    if (job && !['FINISHED', 'FAILED', 'CANCELED'].includes(job.status)) job.cancel();
    await run.catch(() => undefined);
    await cluster.close();
  }
});

test('bad KafkaSource and KafkaSink settings fail with WEIR_CONNECTOR_CONFIG naming the setting', () => {
  const code = { code: 'WEIR_CONNECTOR_CONFIG' };
  assert.throws(() => KafkaSource.builder().setTopics('t').setValueOnlyDeserializer('string').build(), {
    ...code,
    message: /bootstrap servers are not set/,
  });
  assert.throws(() => KafkaSource.builder().setBootstrapServers('nohost').setTopics('t').setValueOnlyDeserializer('string').build(), {
    ...code,
    message: /'nohost' is not host:port/,
  });
  assert.throws(() => KafkaSource.builder().setBootstrapServers('h:1').setValueOnlyDeserializer('string').build(), {
    ...code,
    message: /no topics/,
  });
  assert.throws(() => KafkaSource.builder().setBootstrapServers('h:1').setTopics('t').build(), { ...code, message: /no deserializer/ });
  assert.throws(
    () =>
      KafkaSource.builder()
        .setBootstrapServers('h:1')
        .setTopics('t')
        .setValueOnlyDeserializer('string')
        .setStartingOffsets(OffsetsInitializer.committedOffsets())
        .build(),
    { ...code, message: /need a group id/ },
  );
  assert.throws(() => KafkaSource.builder().setProperty('no.such.key', 1), { ...code, message: /unknown property 'no.such.key'/ });
  assert.throws(() => OffsetsInitializer.offsets({ 't-0': -1 }), { ...code, message: /non-negative/ });
  const ser = KafkaRecordSerializationSchema.builder<number>().setTopic('t').setValueSerializationSchema('json').build();
  assert.throws(
    () => KafkaSink.builder<number>().setBootstrapServers('h:1').setRecordSerializer(ser).setDeliveryGuarantee('EXACTLY_ONCE').build(),
    {
      ...code,
      message: /transactional id prefix/,
    },
  );
  assert.throws(() => KafkaSink.builder<number>().setDeliveryGuarantee('TWICE' as 'NONE'), {
    ...code,
    message: /unknown delivery guarantee 'TWICE'/,
  });
  assert.throws(() => KafkaRecordSerializationSchema.builder<number>().setValueSerializationSchema('json').build(), {
    ...code,
    message: /no topic/,
  });
});
