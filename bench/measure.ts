/**
 * Runs one baseline measurement (fused loop or RxJS) in this (fresh) process and prints it as one
 * JSON line prefixed `RESULT `. bench/run.ts starts one process per measurement, so JIT warm-up,
 * heap growth and peak RSS of one run never leak into another. Weir runs are measured by
 * measure-weir.mjs, with plain node.
 *
 *   node --import tsx bench/measure.ts --impl fused --query q5 --events 1000000
 *   node --import tsx bench/measure.ts --impl rx --query q5 --events 1000000
 *
 * CPU is process.cpuUsage() of the whole process, measured around the run; peak RSS is the
 * kernel's high-water mark (VmHWM) of the process.
 */
import { readFileSync } from 'node:fs';
import { ChecksumRowSink } from './nexmark/checksum.js';
import { runFused } from './nexmark/fused.js';
import { isQueryName, QUERY_INFO } from './nexmark/queries.js';
import { rxQuery } from './nexmark/rx.js';

export interface Measurement {
  impl: string;
  query: string;
  events: number;
  parallelism: number;
  checksum: string;
  cpuMs: number;
  wallMs: number;
  peakRssMb: number;
  /** RSS samples [ms since start, MB] (backpressure runs). */
  rss?: [number, number][];
}

function opt(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.memoryUsage.rss() / (1024 * 1024);
}

function main(): void {
  const impl = opt('impl');
  const query = opt('query');
  if (!isQueryName(query)) throw new Error(`unknown query ${query}`);
  const events = Number(opt('events'));
  const info = QUERY_INFO[query];
  const config = { events, ratePerSecond: Number(opt('rate', '10000')) };
  const sink = new ChecksumRowSink<never>(info.hash, info.upsertKey as ((r: never) => unknown) | undefined);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  if (impl === 'fused') runFused(query, config, sink);
  else if (impl === 'rx') rxQuery(query, config).subscribe({ next: (r) => sink.emit(r as never) });
  else throw new Error(`unknown impl ${impl}`);
  const checksum = sink.checksum().toString();
  const cpu = process.cpuUsage(c0);
  const m: Measurement = {
    impl,
    query,
    events,
    parallelism: 1,
    checksum,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: performance.now() - t0,
    peakRssMb: peakRssMb(),
  };
  process.stdout.write(`RESULT ${JSON.stringify(m)}\n`);
}

main();
