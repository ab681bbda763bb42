/**
 * The checkpoint benchmark (bench/run.ts --only checkpoint): each measurement runs in its own
 * process, as every benchmark of the suite does.
 *
 * 1. backend-snapshot.ts: checkpoint duration and size of N keys per state backend;
 * 2. measure-dip.mjs: a keyed job on the local mini-cluster with and without periodic checkpoints,
 *    records per 100 ms at its sink (the throughput dip while a checkpoint is taken);
 * 3. recovery.ts: a standalone cluster of processes, TaskManagers killed with SIGKILL, time from the
 *    kill to the job running again and to its next checkpoint.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyseDip, type DipRun, type DipSummary } from './analysis.js';
import type { BackendSnapshotResult, RecoveryResult } from './results.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs `node <args>` and returns the JSON after its `RESULT ` line. */
function measure<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`${args.join(' ')} failed (exit ${code}):\n${out}`));
      else resolve(JSON.parse(line.slice(7)) as T);
    });
  });
}

export function measureBackend(backend: 'hashmap' | 'lsm', keys: number): Promise<BackendSnapshotResult> {
  return measure(['--import', 'tsx', join(here, 'backend-snapshot.ts'), '--backend', backend, '--keys', String(keys)]);
}

export interface DipOptions {
  backend: string;
  /** Checkpoint interval in ms; 0: no checkpoints. */
  interval: number;
  records: number;
  keys: number;
  parallelism: number;
}

export function measureDip(o: DipOptions): Promise<DipRun> {
  const args = ['--backend', o.backend, '--interval', String(o.interval), '--records', String(o.records)];
  args.push('--keys', String(o.keys), '--parallelism', String(o.parallelism));
  return measure([join(here, 'measure-dip.mjs'), ...args]);
}

export interface RecoveryOptions {
  kills: number;
  parallelism: number;
  keys: number;
  rate: number;
  restartDelayMs: number;
  /** Records of the job; default: enough for the kills at `rate`. */
  records?: number;
}

export function measureRecovery(o: RecoveryOptions): Promise<RecoveryResult> {
  const args = ['--kills', String(o.kills), '--parallelism', String(o.parallelism), '--keys', String(o.keys)];
  args.push('--rate', String(o.rate), '--restart-delay', String(o.restartDelayMs));
  if (o.records !== undefined) args.push('--records', String(o.records));
  return measure(['--import', 'tsx', join(here, 'recovery.ts'), ...args]);
}

export interface CheckpointSuiteOptions {
  /** Keys of ValueState for the backend measurement. */
  keys: number;
  /** Key counts of the throughput-dip job. */
  dipKeys: number[];
  dipRecords: number;
  dipParallelism: number;
  dipInterval: number;
  kills: number;
  recoveryParallelism: number;
  recoveryKeys: number;
  recoveryRate: number;
  restartDelayMs: number;
}

export interface DipRow {
  backend: string;
  keys: number;
  unavailable?: string;
  summary?: DipSummary;
}

export interface CheckpointSuiteResult {
  backends: BackendSnapshotResult[];
  dips: DipRow[];
  recovery: RecoveryResult;
}

/** Target for a heap checkpoint of 1 M keys (ms). */
export const HEAP_CHECKPOINT_TARGET_MS = 1000;
/** Target from the kill of a TaskManager to the job RUNNING again (ms). */
export const RECOVERY_TARGET_MS = 2000;

export async function runCheckpointSuite(o: CheckpointSuiteOptions, log: (s: string) => void): Promise<CheckpointSuiteResult> {
  const backends: BackendSnapshotResult[] = [];
  for (const b of ['hashmap', 'lsm'] as const) {
    log(`  checkpoint: ${b} backend, ${o.keys} keys...\n`);
    backends.push(await measureBackend(b, o.keys));
  }
  const dips: DipRow[] = [];
  for (const backend of ['hashmap', 'lsm']) {
    for (const keys of o.dipKeys) {
      log(`  checkpoint: throughput dip, ${backend}, ${keys} keys...\n`);
      const base = { backend, records: o.dipRecords, keys, parallelism: o.dipParallelism };
      const checkpointed = await measureDip({ ...base, interval: o.dipInterval });
      if (checkpointed.unavailable !== undefined) {
        dips.push({ backend, keys, unavailable: checkpointed.unavailable });
        continue;
      }
      const baseline = await measureDip({ ...base, interval: 0 });
      for (const r of [baseline, checkpointed]) {
        if (r.received !== r.records || r.finalCountSum !== r.records)
          throw new Error(`the dip job lost records: ${r.received} received, counts add up to ${r.finalCountSum}, of ${r.records}`);
      }
      dips.push({ backend, keys, summary: analyseDip(baseline, checkpointed) });
    }
  }
  log(`  checkpoint: recovery, ${o.kills} kills...\n`);
  const recovery = await measureRecovery({
    kills: o.kills,
    parallelism: o.recoveryParallelism,
    keys: o.recoveryKeys,
    rate: o.recoveryRate,
    restartDelayMs: o.restartDelayMs,
  });
  return { backends, dips, recovery };
}

// ---------------------------------------------------------------- report

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(w[i]!)).join(' | ') + ' |';
  return [line(header), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const fmtMs = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
function fmtRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(0)} k`;
  return x.toFixed(0);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function reportCheckpointSuite(r: CheckpointSuiteResult, o: CheckpointSuiteOptions): string[] {
  const lines: string[] = [];
  const rows: string[][] = [];
  for (const b of r.backends) {
    const row = (what: string, p: BackendSnapshotResult['full'], target: boolean): string[] => [
      b.backend,
      what,
      fmtMs(p.syncMs),
      fmtMs(p.asyncMs),
      fmtMs(p.totalMs),
      mb(p.uploadedBytes),
      mb(p.totalBytes),
      target ? `≤ ${HEAP_CHECKPOINT_TARGET_MS} ms` : '-',
      target ? (p.totalMs <= HEAP_CHECKPOINT_TARGET_MS ? 'yes' : 'NO') : '-',
    ];
    if (b.backend === 'hashmap') rows.push(row('full (state file, as task.ts)', b.full, b.keys >= 1_000_000));
    else {
      rows.push(row('incremental: first (every file)', b.full, false));
      if (b.incremental) rows.push(row(`incremental: after ${b.incremental.updatedKeys} keys changed`, b.incremental, false));
      if (b.canonical) rows.push(row('canonical snapshot (savepoint format)', b.canonical, false));
    }
  }
  lines.push(
    '',
    `### Checkpoints: duration and size (${r.backends[0]?.keys ?? o.keys} keys of ValueState, one subtask)`,
    '',
    table(['backend', 'checkpoint', 'sync ms', 'async ms', 'total ms', 'uploaded MB', 'checkpoint MB', 'target', 'met?'], rows),
    '',
    'Restore into a fresh backend: ' +
      r.backends.map((b) => `${b.backend} ${fmtMs(b.restore.ms)} ms (${b.restore.entries} entries)`).join(', ') +
      '; fill: ' +
      r.backends.map((b) => `${b.backend} ${fmtMs(b.fillMs)} ms`).join(', ') +
      '; JS heap used: ' +
      r.backends.map((b) => `${b.backend} ${b.heapUsedMb} MB`).join(', ') +
      '.',
  );

  const dipRows = r.dips.map((d): string[] => {
    const s = d.summary;
    if (!s) return [d.backend, String(d.keys), 'n/a (not available in this build)', '', '', '', '', '', ''];
    return [
      d.backend,
      String(d.keys),
      fmtRate(s.baselineRate),
      s.betweenCheckpointsRate === undefined ? '-' : fmtRate(s.betweenCheckpointsRate),
      fmtRate(s.minDuringCheckpointRate),
      `${(s.dip * 100).toFixed(0)}%`,
      String(s.longestStallMs),
      `${fmtRate(s.averageRate.checkpointed)} / ${fmtRate(s.averageRate.baseline)}`,
      `${s.checkpointsCompleted}, ${s.medianCheckpointMs} ms, ${mb(s.maxStateSize)} MB, busy ${(s.checkpointBusy * 100).toFixed(0)}%`,
    ];
  });
  lines.push(
    '',
    `### Throughput while checkpointing (keyed job, ${o.dipRecords} records, parallelism ${o.dipParallelism}, checkpoint every ${o.dipInterval} ms; records/s in 100 ms buckets at the sink)`,
    '',
    table(
      [
        'backend',
        'keys',
        'records/s without checkpoints',
        'records/s between checkpoints',
        'lowest bucket during a checkpoint',
        'dip',
        'longest stall ms',
        'average with / without',
        'checkpoints: completed, median, size, busy',
      ],
      dipRows,
    ),
  );

  const rec = r.recovery;
  const stat = (label: string, xs: number[], target?: number): string[] => [
    label,
    String(median(xs)),
    String(Math.min(...xs)),
    String(Math.max(...xs)),
    target === undefined ? '-' : `≤ ${target} ms`,
    target === undefined ? '-' : Math.max(...xs) <= target ? 'yes' : median(xs) <= target ? 'median only' : 'NO',
  ];
  const intact = rec.status === 'FINISHED' && rec.finalCountSum === rec.records && rec.finalKeys === Math.min(rec.keys, rec.records);
  lines.push(
    '',
    `### Recovery after kill -9 of a TaskManager (standalone processes, parallelism ${rec.parallelism}, ${rec.kills} kills, restart delay ${rec.restartDelayMs} ms, checkpoint every ${rec.intervalMs} ms, ${rec.keys} keys at ${fmtRate(rec.rate)} records/s)`,
    '',
    table(
      ['from the kill to', 'median ms', 'min ms', 'max ms', 'target', 'met?'],
      [
        stat(
          'JobManager notices (job FAILING)',
          rec.rounds.map((x) => x.detectedMs),
        ),
        stat(
          'job RUNNING again',
          rec.rounds.map((x) => x.jobRunningMs),
          RECOVERY_TARGET_MS,
        ),
        stat(
          'every task RUNNING',
          rec.rounds.map((x) => x.tasksRunningMs),
        ),
        stat(
          'first checkpoint of the new attempt completed',
          rec.rounds.map((x) => x.checkpointMs),
        ),
      ],
    ),
    '',
    `The job ${rec.status} after ${rec.restored} restores; per-key counts in state add up to ${rec.finalCountSum} of ${rec.records} records over ${rec.finalKeys} keys: ${intact ? 'nothing lost or repeated' : 'STATE LOST OR REPEATED'}.`,
  );
  return lines;
}
