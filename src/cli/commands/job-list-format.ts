/**
 * How the CLI prints jobs: `weir list`'s table, `flink list`'s format, times and durations.
 */
import type { JobOverviewEntry } from '../../rest/api.js';
import { formatRate } from '../../client/live-metrics.js';

export const TERMINAL = new Set(['FINISHED', 'FAILED', 'CANCELED', 'SUSPENDED']);

export function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function formatTime(ms: number): string {
  if (ms <= 0) return '-';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDuration(ms: number): string {
  if (ms < 0) return '-';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s % 60)}s` : `${m}m ${pad(s % 60)}s`;
}

/** A job as `weir list` shows it: archived ones are marked, failed ones may carry their cause. */
/** A job as listed: with its failure cause (--all) and, while running, its throughput (records/s). */
export type ListedJob = JobOverviewEntry & { cause?: string; throughput?: number };

/** A plain text table: a header row, then one row per job, columns padded to fit. */
export function jobsTable(jobs: ListedJob[]): string {
  const withCause = jobs.some((j) => j.cause !== undefined);
  const withRate = jobs.some((j) => j.throughput !== undefined);
  const rows = [
    ['JOB ID', 'NAME', 'STATE', 'START TIME', 'DURATION', ...(withRate ? ['THROUGHPUT'] : []), ...(withCause ? ['FAILURE CAUSE'] : [])],
    ...jobs.map((j) => [
      j.jid,
      j.name,
      j.archived ? `${j.state} (archived)` : j.state,
      formatTime(j['start-time']),
      formatDuration(j.duration),
      ...(withRate ? [j.throughput !== undefined ? formatRate(j.throughput) : ''] : []),
      ...(withCause ? [j.cause ?? ''] : []),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

const FLINK_RULE = '--------------------------------------------------------------';

/** 'dd.MM.yyyy HH:mm:ss' in local time, as Flink's list prints start times. */
export function flinkTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * The output of `flink list`: running/restarting, scheduled (CREATED, INITIALIZING) and, with
 * --all, terminated jobs under Flink's section headers, one `<start> : <jid> : <name> (<STATE>)`
 * line per job by start time. Without -r/-s/-a, running and scheduled jobs are shown.
 */
export function flinkJobList(jobs: JobOverviewEntry[], o: { running: boolean; scheduled: boolean; all: boolean }): string {
  const none = !o.running && !o.scheduled && !o.all;
  const showRunning = none || o.running || o.all;
  const showScheduled = none || o.scheduled || o.all;
  const scheduled = jobs.filter((j) => j.state === 'CREATED' || j.state === 'INITIALIZING');
  const terminated = jobs.filter((j) => TERMINAL.has(j.state));
  const running = jobs.filter((j) => !scheduled.includes(j) && !terminated.includes(j));
  const lines = (js: JobOverviewEntry[]): string[] =>
    [...js]
      .sort((a, b) => a['start-time'] - b['start-time'])
      .map((j) => `${flinkTime(j['start-time'])} : ${j.jid} : ${j.name} (${j.state})`);
  const out: string[] = [];
  if (showRunning) {
    if (running.length === 0) out.push('No running jobs.');
    else out.push('------------------ Running/Restarting Jobs -------------------', ...lines(running), FLINK_RULE);
  }
  if (showScheduled) {
    if (scheduled.length === 0) out.push('No scheduled jobs.');
    else out.push('----------------------- Scheduled Jobs -----------------------', ...lines(scheduled), FLINK_RULE);
  }
  if (o.all && terminated.length > 0)
    out.push('---------------------- Terminated Jobs -----------------------', ...lines(terminated), FLINK_RULE);
  return out.map((l) => `${l}\n`).join('');
}

/** A message on one line, cut at `max` characters. */
export function oneLine(s: string, max = 160): string {
  const l = s.replace(/\s+/g, ' ').trim();
  return l.length > max ? `${l.slice(0, max - 1)}…` : l;
}
