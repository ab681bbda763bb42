/**
 * Renders the Nexmark results of a `npm run bench -- --only nexmark -p 1,2 --json FILE` run as the
 * four-implementation tables of docs/benchmarks.md (Weir, fused loop, RxJS, Apache Flink), so the
 * documented figures are regenerated, not retyped:
 *
 *   node --import tsx bench/nexmark/four-way.ts FILE
 */
import { readFileSync } from 'node:fs';
import type { Measurement } from '../measure.js';
import type { FlinkMeasurement } from './flink.js';

interface Result {
  query: string;
  parallelism: number;
  runs: Record<string, Measurement>;
}

const rate = (m: { events: number; cpuMs: number }): number => m.events / (m.cpuMs / 1000);
const fmt = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`);
const pct = (a: number, b: number): string => `${((a / b) * 100).toFixed(0)}%`;

function table(header: string[], rows: string[][]): string {
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function fourWay(results: Result[]): string {
  const perCpu: string[][] = [];
  const costs: string[][] = [];
  for (const r of results) {
    const { weir: w, fused: f, rx: x } = r.runs;
    const k = r.runs.flink as FlinkMeasurement | undefined;
    const warm = k ? { events: k.events, cpuMs: k.best.cpuMs } : undefined;
    const sums = new Set(Object.values(r.runs).map((m) => m.checksum));
    perCpu.push([
      r.query,
      String(r.parallelism),
      String(w?.events ?? f?.events ?? ''),
      w ? fmt(rate(w)) : '-',
      f ? fmt(rate(f)) : '-',
      x ? fmt(rate(x)) : '-',
      k ? fmt(rate(k)) : '-',
      warm ? fmt(rate(warm)) : '-',
      w && k ? pct(rate(w), rate(k)) : '-',
      w && warm ? pct(rate(w), rate(warm)) : '-',
      w && x ? pct(rate(w), rate(x)) : '-',
      w && f ? pct(rate(w), rate(f)) : '-',
      sums.size === 1 ? 'same' : `**DIFFER** (${[...sums].join(' ')})`,
    ]);
    const c = (m: Measurement | undefined): string => (m ? `${(m.wallMs / 1000).toFixed(1)} s / ${m.peakRssMb.toFixed(0)} MB` : '-');
    costs.push([
      r.query,
      String(r.parallelism),
      c(w),
      c(f),
      c(x),
      c(k),
      k ? `${(k.best.wallMs / 1000).toFixed(1)} s / ${k.best.peakRssMb.toFixed(0)} MB` : '-',
    ]);
  }
  return [
    table(
      [
        'query',
        'p',
        'events',
        'Weir',
        'fused',
        'RxJS',
        'Flink',
        'Flink warm',
        'Weir/Flink',
        'Weir/Flink warm',
        'Weir/RxJS',
        'Weir/fused',
        'checksums',
      ],
      perCpu,
    ),
    '',
    'Wall time / peak RSS of the same runs:',
    '',
    table(['query', 'p', 'Weir', 'fused', 'RxJS', 'Flink', 'Flink warm'], costs),
  ].join('\n');
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: four-way.ts <file written by npm run bench -- --json>');
console.log(fourWay((JSON.parse(readFileSync(file, 'utf8')) as { results: Result[] }).results));
