/**
 * The deployment benchmark (bench/run.ts --only deployment): for each deployment mode, the real
 * `weir run` command on a small job, several times, each mode in its own process
 * (measure-mode.ts); the report gives median and min–max per figure and the targets of DESIGN §2:
 * submission → RUNNING ≤ 100 ms on a session cluster whose TaskManager is running, `weir run` →
 * RUNNING ≤ 1.5 s for per-job and application.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEPLOYMENT_MODES, type DeploymentMode, type DeploymentModeResult, type DeploymentRun } from './results.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface DeploymentSuiteOptions {
  modes: DeploymentMode[];
  runs: number;
  records: number;
  parallelism: number;
  /** taskmanager.numberOfTaskSlots (undefined: the parallelism, one TaskManager per cluster). */
  slots?: number;
}

export const DEFAULT_DEPLOYMENT_OPTIONS: DeploymentSuiteOptions = { modes: [...DEPLOYMENT_MODES], runs: 5, records: 5000, parallelism: 2 };

/** Runs one mode in its own process and returns the JSON after its `RESULT ` line. */
export function measureMode(mode: DeploymentMode, o: Omit<DeploymentSuiteOptions, 'modes'>): Promise<DeploymentModeResult> {
  const args = ['--import', 'tsx', join(here, 'measure-mode.ts'), '--mode', mode, '--runs', String(o.runs)];
  args.push('--records', String(o.records), '--parallelism', String(o.parallelism));
  if (o.slots !== undefined) args.push('--slots', String(o.slots));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`deployment benchmark, mode ${mode}, failed (exit ${code}):\n${out}`));
      else resolve(JSON.parse(line.slice(7)) as DeploymentModeResult);
    });
  });
}

export async function runDeploymentSuite(o: DeploymentSuiteOptions, log: (s: string) => void): Promise<DeploymentModeResult[]> {
  const results: DeploymentModeResult[] = [];
  for (const mode of o.modes) {
    log(`  deployment: ${mode} (${o.runs} runs)...\n`);
    results.push(await measureMode(mode, o));
  }
  return results;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN };
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s.at(-1)! };
}

/** The target a mode is held to: which figure, and its bound in ms. */
export function targetOf(mode: DeploymentMode): { figure: 'submittedToRunning' | 'runningMs'; boundMs: number } | undefined {
  if (mode === 'remote' || mode === 'process-session-warm') return { figure: 'submittedToRunning', boundMs: 100 };
  if (mode === 'process-per-job' || mode === 'process-application') return { figure: 'runningMs', boundMs: 1500 };
  return undefined;
}

export interface ModeSummary {
  mode: DeploymentMode;
  runs: number;
  submittedMs: Spread;
  submittedToRunningMs: Spread;
  runningMs: Spread;
  finishedMs: Spread;
  exitMs: Spread;
  /** Whether the median meets the mode's target (undefined: no target). */
  met: boolean | undefined;
}

export function summarize(r: DeploymentModeResult): ModeSummary {
  const pick = (f: (x: DeploymentRun) => number): Spread => spread(r.runs.map(f));
  const s: ModeSummary = {
    mode: r.mode,
    runs: r.runs.length,
    submittedMs: pick((x) => x.submittedMs),
    submittedToRunningMs: pick((x) => x.runningMs - x.submittedMs),
    runningMs: pick((x) => x.runningMs),
    finishedMs: pick((x) => x.finishedMs),
    exitMs: pick((x) => x.exitMs),
    met: undefined,
  };
  const t = targetOf(r.mode);
  if (t) s.met = (t.figure === 'runningMs' ? s.runningMs : s.submittedToRunningMs).median <= t.boundMs;
  return s;
}

const LABEL: Record<DeploymentMode, string> = {
  local: 'local',
  remote: 'remote (standalone session)',
  'process-session-warm': 'process-session, TaskManager running',
  'process-session-cold': 'process-session, TaskManager started',
  'process-per-job': 'process-per-job',
  'process-application': 'process-application',
};

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(w[i]!)).join(' | ') + ' |';
  return [line(header), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

function cell(s: Spread): string {
  if (!Number.isFinite(s.median)) return '-';
  return `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
}

export function reportDeploymentSuite(results: DeploymentModeResult[], o: Omit<DeploymentSuiteOptions, 'modes'>): string[] {
  const rows = results.map((r) => {
    const s = summarize(r);
    const t = targetOf(r.mode);
    return [
      LABEL[r.mode],
      String(s.runs),
      cell(s.submittedMs),
      cell(s.submittedToRunningMs),
      cell(s.runningMs),
      cell(s.finishedMs),
      cell(s.exitMs),
      t ? `${t.figure === 'runningMs' ? 'weir run' : 'submitted'} → RUNNING ≤ ${t.boundMs} ms` : '-',
      s.met === undefined ? '-' : s.met ? 'yes' : 'NO',
    ];
  });
  const problems = results.flatMap((r) => [
    ...r.runs.filter((x) => x.state !== 'FINISHED').map((x) => `${r.mode}: job ${x.jobId} ended ${x.state}`),
    ...r.runs
      .filter((x) => x.sinkRecords !== r.records)
      .map((x) => `${r.mode}: the sink of job ${x.jobId} read ${x.sinkRecords} of ${r.records} records`),
    ...(r.leftoverProcesses > 0 ? [`${r.mode}: ${r.leftoverProcesses} process(es) of a dedicated cluster outlived it`] : []),
  ]);
  return [
    '',
    `### Deployment modes: \`weir run\` of a small job (${o.records} records, keyBy, parallelism ${o.parallelism}, TaskManagers of ${o.slots ?? o.parallelism} slot(s)), ${o.runs} runs per mode`,
    '',
    'ms from the spawn of `weir run`, median (min–max); "submitted → RUNNING" is the job\'s own start-time to its RUNNING timestamp.',
    '',
    table(['mode', 'runs', 'submitted', 'submitted → RUNNING', 'RUNNING', 'FINISHED', 'weir run exits', 'target (median)', 'met?'], rows),
    ...(problems.length ? ['', 'Problems:', ...problems.map((p) => `- ${p}`)] : []),
  ];
}
