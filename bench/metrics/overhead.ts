/**
 * The metric system's cost on the record path: Nexmark q0 and q1 on Weir with metrics on (the
 * default: meters and timer gauges updated every 5 s, every slot thread sampling its tasks once a
 * second to its TaskManager, which pushes to the JobManager) and off (WEIR_METRICS=off: no view
 * updates, no sampling), alternating on/off in one session so that machine noise hits both alike.
 * Best of `rounds` by CPU time; throughput is events per CPU-second.
 */
import type { Measurement } from '../measure.js';

export interface MetricsOverheadOptions {
  queries: string[];
  events: number;
  parallelism: number;
  rounds: number;
}

export interface MetricsOverheadResult {
  query: string;
  on: Measurement;
  off: Measurement;
  /** Events per CPU-second with metrics on relative to off, in percent (negative: slower). */
  deltaPercent: number;
}

type Measure = (args: string[], env?: NodeJS.ProcessEnv) => Promise<Measurement>;

const perCpuSecond = (m: Measurement): number => m.events / (m.cpuMs / 1000);

export async function runMetricsOverhead(
  o: MetricsOverheadOptions,
  measure: Measure,
  progress: (s: string) => void,
): Promise<MetricsOverheadResult[]> {
  const results: MetricsOverheadResult[] = [];
  for (const query of o.queries) {
    const args = ['--query', query, '--events', String(o.events), '--parallelism', String(o.parallelism), '--impl', 'weir'];
    let on: Measurement | undefined;
    let off: Measurement | undefined;
    for (let r = 0; r < o.rounds; r++) {
      // Alternate which goes first, so warm caches and background load favour neither.
      const order: ('on' | 'off')[] = r % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const mode of order) {
        progress(`metrics ${mode}: ${query} round ${r + 1}/${o.rounds}\n`);
        const m = await measure(args, mode === 'off' ? { WEIR_METRICS: 'off' } : {});
        if (mode === 'on' && (!on || m.cpuMs < on.cpuMs)) on = m;
        if (mode === 'off' && (!off || m.cpuMs < off.cpuMs)) off = m;
      }
    }
    if (on!.checksum !== off!.checksum)
      throw new Error(`${query}: metrics on and off produced different results (${on!.checksum} vs ${off!.checksum})`);
    results.push({ query, on: on!, off: off!, deltaPercent: (perCpuSecond(on!) / perCpuSecond(off!) - 1) * 100 });
  }
  return results;
}

export function reportMetricsOverhead(results: readonly MetricsOverheadResult[], events: number): string[] {
  const rate = (m: Measurement): string => `${(perCpuSecond(m) / 1e6).toFixed(2)} M`;
  const rows = results.map((r) => [
    r.query,
    rate(r.off),
    rate(r.on),
    `${r.deltaPercent >= 0 ? '+' : ''}${r.deltaPercent.toFixed(1)} %`,
    Math.abs(r.deltaPercent) <= 3 ? 'yes' : 'NO',
  ]);
  const header = ['query', 'metrics off (events/CPU-s)', 'metrics on (events/CPU-s)', 'on vs off', 'within 3 %'];
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(w[i]!)).join(' | ') + ' |';
  return [
    '',
    `## Metrics overhead (${events.toLocaleString('en-US')} events, best of alternating runs)`,
    '',
    line(header),
    '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|',
    ...rows.map(line),
  ];
}
