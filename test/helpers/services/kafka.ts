/**
 * A real Apache Kafka broker for the tests: KRaft mode, broker and controller in one JVM, from the
 * official artifacts that test/services/kafka.sh resolves from Maven Central, on free loopback
 * ports with a fresh log directory. `restart()` stops and starts the same broker (same ports, same
 * data), for tests of broker outages.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Admin, Producer } from '@platformatic/kafka';
import {
  createConsumer,
  PartitionFetcher,
  listPartitions,
  resolveOffsets,
  closeQuietly,
} from '../../../dist/connectors/kafka/kafka-client.js';
import type { KafkaConsumerRecord } from '../../../dist/connectors/kafka/options.js';
import { freePort } from '../ports.js';
import { ensureInstalled, SERVICES_CACHE, startServer, type ServerProcess } from './server-process.js';

const run = promisify(execFile);
export const KAFKA_VERSION = process.env.WEIR_KAFKA_VERSION ?? '4.1.1';
export const KAFKA_LIBS = join(SERVICES_CACHE, `kafka-${KAFKA_VERSION}`, 'libs');
const installedMarker = join(SERVICES_CACHE, `kafka-${KAFKA_VERSION}`, '.complete');

export interface KafkaBroker {
  /** `127.0.0.1:<port>`, for bootstrap.servers. */
  readonly bootstrap: string;
  readonly dir: string;
  /** Stops the broker (SIGTERM) and keeps its data, for a later start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Runs a Kafka tool class (e.g. org.apache.kafka.tools.ProducerPerformance) from the same artifacts. */
  tool(mainClass: string, args: string[], timeoutMs?: number): Promise<{ stdout: string; stderr: string }>;
  /** Stops the broker and deletes its data. */
  close(): Promise<void>;
  log(): string;
}

function java(): string {
  const home = process.env.JAVA_HOME;
  return home && existsSync(join(home, 'bin/java')) ? join(home, 'bin/java') : 'java';
}

const JVM = ['-Xms256m', '-Xmx768m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Installs (once) and starts a single-node KRaft broker; `after(() => broker.close())` in the test. */
export async function startKafka(): Promise<KafkaBroker> {
  await ensureInstalled('kafka', () => existsSync(installedMarker));
  const dir = mkdtempSync(join(tmpdir(), 'weir-kafka-'));
  const port = await freePort();
  const controllerPort = await freePort();
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(
    log4j,
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.KafkaServer=INFO',
      'log4j.logger.kafka.server.BrokerServer=INFO',
      '',
    ].join('\n'),
  );
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=4',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
      'num.io.threads=2',
      'num.network.threads=2',
      'background.threads=2',
      'log.flush.interval.ms=60000',
      '',
    ].join('\n'),
  );
  const cp = `${KAFKA_LIBS}/*`;
  const env = { ...process.env, KAFKA_HEAP_OPTS: '' };
  await run(
    java(),
    [
      ...JVM,
      `-Dlog4j.configuration=file:${log4j}`,
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      'd2VpcmthZmthdGVzdDEyMw',
      '-c',
      props,
    ],
    {
      env,
      timeout: 120_000,
    },
  );
  let server: ServerProcess | undefined;
  const start = async (): Promise<void> => {
    server = await startServer({
      name: 'kafka',
      command: java(),
      args: () => [...JVM, `-Dlog4j.configuration=file:${log4j}`, '-cp', cp, 'kafka.Kafka', props],
      env,
      dir,
      readyMs: 90_000,
      ready: () => portOpen(port),
    });
  };
  await start();
  return {
    bootstrap: `127.0.0.1:${port}`,
    dir,
    stop: async () => {
      await server?.stop(20_000);
      server = undefined;
    },
    start,
    tool: (mainClass, args, timeoutMs = 120_000) =>
      run(java(), [...JVM, `-Dlog4j.configuration=file:${log4j}`, '-cp', cp, mainClass, ...args], {
        env,
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      }),
    close: async () => {
      await server?.stop(10_000);
      server = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => server?.log() ?? '',
  };
}

// ---- Test data on a broker: topics, producing, and reading what is committed ----

export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new Admin({ clientId: 'weir-test-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** Produces `values` (JSON) to `topic`, keyed by `key(v)`, in batches; idempotent producer, acks=all. */
export async function produceJson<V>(bootstrap: string, topic: string, values: V[], key: (v: V) => string): Promise<void> {
  const producer = new Producer({ clientId: 'weir-test-producer', bootstrapBrokers: [bootstrap], idempotent: true, acks: -1 });
  try {
    for (let i = 0; i < values.length; i += 2000) {
      const messages = values.slice(i, i + 2000).map((v) => ({ topic, key: Buffer.from(key(v)), value: Buffer.from(JSON.stringify(v)) }));
      await producer.send({ messages });
    }
  } finally {
    await producer.close();
  }
}

/** Produces JSON `values` to one partition of `topic` with the given record timestamps (ms). */
export async function produceAt<V>(
  bootstrap: string,
  topic: string,
  partition: number,
  values: { value: V; timestamp: number }[],
): Promise<void> {
  const producer = new Producer({ clientId: 'weir-test-producer', bootstrapBrokers: [bootstrap], idempotent: true, acks: -1 });
  try {
    const messages = values.map((v) => ({ topic, partition, timestamp: BigInt(v.timestamp), value: Buffer.from(JSON.stringify(v.value)) }));
    await producer.send({ messages });
  } finally {
    await producer.close();
  }
}

/** Every committed record of `topic` (read_committed, up to the last stable offset at the call). */
export async function readCommitted(bootstrap: string, topic: string): Promise<KafkaConsumerRecord[]> {
  const consumer = createConsumer(bootstrap, 'weir-test-reader', 'weir-test-reader', true, 100);
  const fetcher = new PartitionFetcher(consumer, 'weir-test-reader', true, 100, 4 * 1024 * 1024);
  try {
    const tps = await listPartitions(consumer, [topic]);
    const end = await resolveOffsets(consumer, tps, { kind: 'latest' }, true);
    const start = await resolveOffsets(consumer, tps, { kind: 'earliest' }, true);
    const pos = new Map([...start]);
    const out: KafkaConsumerRecord[] = [];
    const deadline = Date.now() + 60_000;
    while ([...pos].some(([k, o]) => o < (end.get(k) ?? 0))) {
      if (Date.now() > deadline)
        throw new Error(`reading ${topic} did not reach its end: ${JSON.stringify([...pos])} of ${JSON.stringify([...end])}`);
      const open = tps.filter((t) => (pos.get(`${t.topic}-${t.partition}`) ?? 0) < (end.get(`${t.topic}-${t.partition}`) ?? 0));
      const chunks = await fetcher.fetch(open.map((t) => ({ ...t, offset: pos.get(`${t.topic}-${t.partition}`)! })));
      for (const c of chunks) {
        const k = `${c.topic}-${c.partition}`;
        const stop = end.get(k) ?? 0;
        for (const r of c.records) if (r.offset < stop) out.push(r);
        pos.set(k, Math.min(stop, Math.max(pos.get(k) ?? 0, c.nextOffset)));
      }
    }
    return out;
  } finally {
    await fetcher.close();
    await closeQuietly(consumer);
  }
}
