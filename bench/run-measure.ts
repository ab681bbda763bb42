/**
 * How bench/run.ts measures: each measurement in a process of its own (bench/measure.ts or
 * measure-weir.mjs, so JIT warm-up and heap growth never leak between runs), best-of-N with equal
 * checksums, the session latency benchmark's process, and the report's number and table formats.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Measurement } from './measure.js';

import { type FlinkMeasurement } from './nexmark/flink.js';

const here = dirname(fileURLToPath(import.meta.url));

let cpuProfDir: string | undefined;

/** Where measured Weir runs write their CPU profiles (--cpu-prof DIR); unset: none. */
export function setCpuProfDir(dir: string | undefined): void {
  cpuProfDir = dir;
}
/** Flink's measurements by `query/parallelism`, for the comparison table. */
export const flinkRuns = new Map<string, FlinkMeasurement>();

/** Weir against Flink (first run, fresh JVM; target ≥ 100%) and against the warm JVM's best run. */
export function flinkRatios(w: Measurement, f: FlinkMeasurement | undefined): string[] {
  if (!f) return ['-', '-', '-'];
  const cold = perCpuSecond(w) / perCpuSecond(f);
  const warm = perCpuSecond(w) / (f.events / (f.best.cpuMs / 1000));
  return [`${(cold * 100).toFixed(0)}%`, cold >= 1 ? 'yes' : 'NO', `${(warm * 100).toFixed(0)}%`];
}

export function measure(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const weir = args.includes('--micro') || args[args.indexOf('--impl') + 1] === 'weir';
    const prof = weir && cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
    const cmd = weir
      ? [...prof, join(here, 'measure-weir.mjs'), ...args.filter((_, i) => args[i] !== '--impl' && args[i - 1] !== '--impl')]
      : ['--import', 'tsx', join(here, 'measure.ts'), ...args];
    const child = spawn(process.execPath, cmd, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`measure ${args.join(' ')} failed (exit ${code}):\n${out}`));
      else resolve(JSON.parse(line.slice(7)) as Measurement);
    });
  });
}

/** Best of `repeat` runs (lowest CPU time); the checksum must be the same every time. */
export async function best(args: string[], repeat: number): Promise<Measurement> {
  let b: Measurement | undefined;
  for (let i = 0; i < repeat; i++) {
    const m = await measure(args);
    if (b && m.checksum !== b.checksum)
      throw new Error(`checksum changed between runs of ${args.join(' ')}: ${b.checksum} vs ${m.checksum}`);
    if (!b || m.cpuMs < b.cpuMs) b = m;
  }
  return b!;
}

export const perCpuSecond = (m: Measurement): number => m.events / (m.cpuMs / 1000);

export function fmtRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(0)} k`;
  return x.toFixed(0);
}

export function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(w[i]!)).join(' | ') + ' |';
  return [line(header), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

export interface SessionLatency {
  runs: number;
  submitToRunningMs: { median: number; min: number; max: number };
  submitToTasksRunningMs: { median: number; min: number; max: number };
  weirRunToRunningMs: { median: number; min: number; max: number };
}

/** Runs bench/micro/session-latency.ts in its own process (it starts a cluster of processes). */
export function sessionLatency(): Promise<SessionLatency> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'micro', 'session-latency.ts'), '--runs', '10', '--pause', '1500', '--warm-pool', '2'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`session latency benchmark failed (exit ${code}): ${out}`));
      else resolve(JSON.parse(line) as SessionLatency);
    });
  });
}
