/**
 * Kafka → Weir → Kafka on one real broker (the test broker of test/helpers/services/kafka.ts):
 * the Kafka perf tools' own producer and consumer throughput (the ceiling), then a Weir job that
 * copies the produced topic to another one with EXACTLY_ONCE, at each parallelism, in a child
 * process whose wall and CPU time are measured (job start-up included).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTopic, startKafka } from '../../test/helpers/services/kafka.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

export interface KafkaSuiteOptions {
  records: number;
  parallelism: number[];
}
export const DEFAULT_KAFKA_OPTIONS: KafkaSuiteOptions = { records: 500_000, parallelism: [1, 2] };

export interface KafkaSuiteResult {
  producerPerf: number;
  consumerPerf: number;
  weir: { parallelism: number; recordsPerSec: number; recordsPerCpuSec: number; wallMs: number }[];
}

export async function runKafkaSuite(o: KafkaSuiteOptions, log: (s: string) => void): Promise<KafkaSuiteResult> {
  const broker = await startKafka();
  try {
    await createTopic(broker.bootstrap, 'bench-in', 2);
    const prod = await broker.tool(
      'org.apache.kafka.tools.ProducerPerformance',
      [
        '--topic',
        'bench-in',
        '--num-records',
        String(o.records),
        '--record-size',
        '100',
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${broker.bootstrap}`,
        'acks=all',
      ],
      600_000,
    );
    const pm = /([\d.]+) records\/sec/.exec(prod.stdout.trim().split('\n').at(-1) ?? '');
    const producerPerf = pm ? Number(pm[1]) : NaN;
    log(`kafka producer perf: ${Math.round(producerPerf)} records/s\n`);
    const cons = await broker.tool(
      'org.apache.kafka.tools.ConsumerPerformance',
      ['--bootstrap-server', broker.bootstrap, '--topic', 'bench-in', '--messages', String(o.records), '--timeout', '60000'],
      600_000,
    );
    // The summary line: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
    const last =
      cons.stdout
        .trim()
        .split('\n')
        .filter((l) => /^\d{4}-/.test(l))
        .at(-1) ?? '';
    const cols = last.split(',').map((s) => s.trim());
    const consumerPerf = Number(cols[5] ?? NaN);
    log(`kafka consumer perf: ${Math.round(consumerPerf)} records/s\n`);
    const weir: KafkaSuiteResult['weir'] = [];
    for (const p of o.parallelism) {
      const out = `bench-out-p${p}`;
      await createTopic(broker.bootstrap, out, 2);
      const r = await run(
        process.execPath,
        ['--import', 'tsx', join(here, 'run-job.ts'), broker.bootstrap, 'bench-in', out, String(p), 'EXACTLY_ONCE'],
        {
          timeout: 600_000,
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { status: string; wallMs: number; cpuMs: number };
      if (m.status !== 'FINISHED') throw new Error(`the Kafka benchmark job ended ${m.status}`);
      const row = {
        parallelism: p,
        recordsPerSec: (o.records / m.wallMs) * 1000,
        recordsPerCpuSec: (o.records / m.cpuMs) * 1000,
        wallMs: m.wallMs,
      };
      log(`weir kafka→kafka p${p}: ${Math.round(row.recordsPerSec)} records/s, ${Math.round(row.recordsPerCpuSec)} records/CPU-s\n`);
      weir.push(row);
    }
    return { producerPerf, consumerPerf, weir };
  } finally {
    await broker.close();
  }
}

export function reportKafkaSuite(r: KafkaSuiteResult, o: KafkaSuiteOptions): string[] {
  const lines = [`Kafka → Weir → Kafka (${o.records} records of 100 bytes, EXACTLY_ONCE, one KRaft broker)`];
  lines.push(
    `  kafka-producer-perf-test: ${Math.round(r.producerPerf)} records/s; kafka-consumer-perf-test: ${Math.round(r.consumerPerf)} records/s`,
  );
  for (const w of r.weir)
    lines.push(
      `  weir p${w.parallelism}: ${Math.round(w.recordsPerSec)} records/s, ${Math.round(w.recordsPerCpuSec)} records/CPU-s (${Math.round(w.wallMs)} ms incl. start-up)`,
    );
  return lines;
}
