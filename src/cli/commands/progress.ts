/**
 * The live progress an attached `weir run` prints: a block redrawn in place on a terminal, lines
 * otherwise, with each failure's cause.
 */
import type { SubmittedJob } from '../../client/program-executor.js';
import type { ClusterClient, JobProgress } from '../../client/cluster-client.js';
import { formatBytes, formatRate, type LastCheckpoint, type LiveMetrics, type VertexLiveMetrics } from '../../client/live-metrics.js';
import { oneLine, pad, TERMINAL } from './job-list-format.js';

/** The web dashboard's page of a job (the dashboard routes with the URL's fragment, as Flink's does). */
export function dashboardUrl(webUrl: string, jobId: string): string {
  return `${webUrl.replace(/\/+$/, '')}/#/job/${jobId}`;
}

/** One line of progress: status, then records in/out per vertex, with rates, busy and backpressured time when known. */
function progressLine(status: string, vertices: JobProgress['vertices'], live: LiveMetrics | undefined): string {
  const parts = vertices.map((v) => {
    const base = `${v.name} [p=${v.parallelism}] ${v.metrics.numRecordsIn} in / ${v.metrics.numRecordsOut} out`;
    const l = live?.vertices[v.id];
    return l ? `${base} (${liveText(l)})` : base;
  });
  const cp = live?.lastCheckpoint ? ` | ${checkpointText(live.lastCheckpoint)}` : '';
  return `${status}${parts.length ? ` — ${parts.join(' | ')}` : ''}${cp}`;
}

function liveText(l: VertexLiveMetrics): string {
  const pct = (ms: number): string => `${Math.round(ms / 10)}%`;
  return `${formatRate(l.recordsInPerSecond)} in, ${formatRate(l.recordsOutPerSecond)} out, busy ${pct(l.busyTimeMsPerSecond)}, backpressured ${pct(l.backPressuredTimeMsPerSecond)}`;
}

function checkpointText(c: LastCheckpoint): string {
  return `last checkpoint #${c.id}: ${c.durationMs} ms, ${formatBytes(c.sizeBytes)}`;
}

/** The progress block a terminal shows in place: status and last checkpoint, then one line per vertex. */
function progressBlock(status: string, vertices: JobProgress['vertices'], live: LiveMetrics | undefined): string[] {
  const head = `${status}${live?.lastCheckpoint ? ` — ${checkpointText(live.lastCheckpoint)}` : ''}`;
  const width = Math.max(0, ...vertices.map((v) => v.name.length + String(v.parallelism).length + 5));
  return [
    head,
    ...vertices.map((v) => {
      const l = live?.vertices[v.id];
      const name = `${v.name} [p=${v.parallelism}]`.padEnd(width);
      return `  ${name}  ${v.metrics.numRecordsIn} in / ${v.metrics.numRecordsOut} out${l ? `  ${liveText(l)}` : ''}`;
    }),
  ];
}

/**
 * Polls a submitted job's progress every `intervalMs`. On a terminal the progress is a block
 * rewritten in place (status, last checkpoint, per vertex records, records per second, busy and
 * backpressured time); otherwise a line is printed when it changes. A failing job's causes are
 * printed once per distinct cause, and the status carries the number of restarts. Returns a
 * function that stops watching.
 */
export function watchProgress(
  job: Pick<SubmittedJob, 'jobId'> & { cluster: Pick<ClusterClient, 'progress'> },
  out: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  intervalMs = 500,
): () => void {
  let last = '';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** Lines of the block last drawn on a terminal (erased before anything else is written). */
  let drawn = 0;
  const tty = out.isTTY === true;
  const failuresSeen = new Set<string>();
  const causesShown = new Set<string>();
  const stamp = (): string => {
    const d = new Date();
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  };
  const erase = (): void => {
    if (drawn > 0) out.write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const tick = async (): Promise<void> => {
    try {
      const p = await job.cluster.progress(job.jobId);
      if (stopped) return;
      for (const f of [...(p.failures ?? [])].reverse()) {
        const key = `${f.timestamp}|${f.code}|${f.message}`;
        if (failuresSeen.has(key)) continue;
        failuresSeen.add(key);
        const cause = `${f.code}: ${oneLine(f.message, 400)}`;
        if (causesShown.has(cause) || causesShown.size >= MAX_CAUSES_SHOWN) continue;
        causesShown.add(cause);
        erase();
        out.write(`${stamp()} Failure #${failuresSeen.size}: ${cause}\n`);
      }
      // Every failure but the one that failed the job for good was followed by a restart.
      const restarts = Math.max(0, failuresSeen.size - (p.status === 'FAILED' ? 1 : 0));
      const status = restarts > 0 ? `${p.status} (${restarts} restart${restarts === 1 ? '' : 's'})` : p.status;
      if (tty) {
        const block = progressBlock(status, p.vertices, p.live);
        erase();
        out.write(`${stamp()} ${block.join('\n')}\n`);
        drawn = block.length;
      } else {
        const line = progressLine(status, p.vertices, p.live);
        if (line !== last) {
          last = line;
          out.write(`${stamp()} ${line}\n`);
        }
      }
      if (TERMINAL.has(p.status)) return;
    } catch {
      // A missed poll is not worth a message: the job's result reports what happened.
    }
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
  };
  timer = setTimeout(() => void tick(), 0);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** Distinct failure causes printed per job at most (a job failing differently every time stays readable). */
const MAX_CAUSES_SHOWN = 20;
