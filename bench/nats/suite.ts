/**
 * NATS → Weir → NATS on one real nats-server with JetStream (the test server of
 * test/helpers/services/nats.ts): the JetStream client's own publish and ordered-consumer read
 * throughput on the same server (the ceiling), then a Weir job that copies the stream to another
 * one with EXACTLY_ONCE, at each parallelism, in a child process whose wall and CPU time are
 * measured (job start-up included).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { startNats } from '../../test/helpers/services/nats.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

export interface NatsSuiteOptions {
  records: number;
  parallelism: number[];
}
export const DEFAULT_NATS_OPTIONS: NatsSuiteOptions = { records: 100_000, parallelism: [1, 2] };

export interface NatsSuiteResult {
  publishPerf: number;
  consumePerf: number;
  weir: { parallelism: number; recordsPerSec: number; recordsPerCpuSec: number; wallMs: number }[];
}

export async function runNatsSuite(o: NatsSuiteOptions, log: (s: string) => void): Promise<NatsSuiteResult> {
  const server = await startNats();
  try {
    await server.createStream('BENCH_IN', ['bench.in']);
    const js = jetstream(server.nc);
    const payload = new Uint8Array(100).fill(120);
    // Publishes with 1000 acknowledgements in flight at most (as the sink's max.in.flight).
    let t0 = performance.now();
    for (let i = 0; i < o.records; i += 1000)
      await Promise.all(Array.from({ length: Math.min(1000, o.records - i) }, () => js.publish('bench.in', payload)));
    const publishPerf = (o.records / (performance.now() - t0)) * 1000;
    log(`nats publish (client): ${Math.round(publishPerf)} records/s\n`);
    t0 = performance.now();
    const consumer = await js.consumers.get('BENCH_IN', { deliver_policy: DeliverPolicy.All });
    let read = 0;
    while (read < o.records)
      for await (const m of await consumer.fetch({ max_messages: 500, expires: 1000 })) if (m.data.length >= 0) read++;
    const consumePerf = (o.records / (performance.now() - t0)) * 1000;
    log(`nats ordered consumer (client): ${Math.round(consumePerf)} records/s\n`);
    const weir: NatsSuiteResult['weir'] = [];
    for (const p of o.parallelism) {
      const out = `BENCH_OUT_P${p}`;
      await server.createStream(out, [`bench.out.p${p}`]);
      const r = await run(
        process.execPath,
        ['--import', 'tsx', join(here, 'run-job.ts'), server.url, 'BENCH_IN', `bench.out.p${p}`, String(p), 'EXACTLY_ONCE'],
        { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
      );
      const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { status: string; wallMs: number; cpuMs: number };
      if (m.status !== 'FINISHED') throw new Error(`the NATS benchmark job ended ${m.status}`);
      const row = {
        parallelism: p,
        recordsPerSec: (o.records / m.wallMs) * 1000,
        recordsPerCpuSec: (o.records / m.cpuMs) * 1000,
        wallMs: m.wallMs,
      };
      log(`weir nats→nats p${p}: ${Math.round(row.recordsPerSec)} records/s, ${Math.round(row.recordsPerCpuSec)} records/CPU-s\n`);
      weir.push(row);
    }
    return { publishPerf, consumePerf, weir };
  } finally {
    await server.close();
  }
}

export function reportNatsSuite(r: NatsSuiteResult, o: NatsSuiteOptions): string[] {
  const lines = [`NATS → Weir → NATS (${o.records} messages of 100 bytes, EXACTLY_ONCE, one nats-server with JetStream)`];
  lines.push(
    `  JetStream client publish: ${Math.round(r.publishPerf)} records/s; ordered consumer read: ${Math.round(r.consumePerf)} records/s`,
  );
  for (const w of r.weir)
    lines.push(
      `  weir p${w.parallelism}: ${Math.round(w.recordsPerSec)} records/s, ${Math.round(w.recordsPerCpuSec)} records/CPU-s (${Math.round(w.wallMs)} ms incl. start-up)`,
    );
  return lines;
}
