/**
 * What an attached `weir run` and `weir list` show of a running job: per vertex records per second
 * in and out (sums of the subtasks' meters), the busiest subtask's busy and backpressured time, and
 * the last completed checkpoint. Read over REST from Flink's metrics paths, or from the local
 * JobManager's metric store.
 */
import type { MetricQueryService } from '../metrics/metric-store.js';
import { aggregateMetrics } from '../metrics/query.js';
import type { RestClient } from '../rest/client.js';

export interface VertexLiveMetrics {
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  /** ms/s of the busiest subtask. */
  busyTimeMsPerSecond: number;
  backPressuredTimeMsPerSecond: number;
}

export interface LastCheckpoint {
  id: number;
  durationMs: number;
  sizeBytes: number;
  /** When it completed (ms since the epoch). */
  completedAt: number;
}

export interface LiveMetrics {
  vertices: Record<string, VertexLiveMetrics>;
  lastCheckpoint?: LastCheckpoint;
}

const GET = 'numRecordsInPerSecond,numRecordsOutPerSecond,busyTimeMsPerSecond,backPressuredTimeMsPerSecond';

type Row = { id: string; sum?: number; max?: number };

function fromRows(rows: readonly Row[]): VertexLiveMetrics {
  const by = new Map(rows.map((r) => [r.id, r]));
  return {
    recordsInPerSecond: by.get('numRecordsInPerSecond')?.sum ?? 0,
    recordsOutPerSecond: by.get('numRecordsOutPerSecond')?.sum ?? 0,
    busyTimeMsPerSecond: by.get('busyTimeMsPerSecond')?.max ?? 0,
    backPressuredTimeMsPerSecond: by.get('backPressuredTimeMsPerSecond')?.max ?? 0,
  };
}

interface CompletedCheckpointStats {
  latest?: { completed?: { id: number; end_to_end_duration: number; checkpointed_size: number; latest_ack_timestamp: number } | null };
}

function lastCheckpoint(stats: CompletedCheckpointStats | undefined): LastCheckpoint | undefined {
  const c = stats?.latest?.completed;
  return c
    ? { id: c.id, durationMs: c.end_to_end_duration, sizeBytes: c.checkpointed_size, completedAt: c.latest_ack_timestamp }
    : undefined;
}

export async function liveMetricsOverRest(rest: RestClient, jobId: string, vertexIds: readonly string[]): Promise<LiveMetrics> {
  const job = encodeURIComponent(jobId);
  const [rows, stats] = await Promise.all([
    Promise.all(
      vertexIds.map((v) =>
        rest
          .request<Row[]>('GET', `/jobs/${job}/vertices/${encodeURIComponent(v)}/subtasks/metrics?get=${GET}&agg=sum,max`)
          .catch(() => []),
      ),
    ),
    rest.request<CompletedCheckpointStats>('GET', `/jobs/${job}/checkpoints`).catch(() => undefined),
  ]);
  const cp = lastCheckpoint(stats);
  return { vertices: Object.fromEntries(vertexIds.map((v, i) => [v, fromRows(rows[i]!)])), ...(cp ? { lastCheckpoint: cp } : {}) };
}

export function liveMetricsFromStore(
  store: MetricQueryService,
  jobId: string,
  vertexIds: readonly string[],
  stats: CompletedCheckpointStats | undefined,
): LiveMetrics {
  const vertices: Record<string, VertexLiveMetrics> = {};
  for (const v of vertexIds) {
    const subtasks = store.subtaskIndices(jobId, v).map((i) => store.subtask(jobId, v, i));
    vertices[v] = fromRows(aggregateMetrics(subtasks, GET, ['sum', 'max']));
  }
  const cp = lastCheckpoint(stats);
  return { vertices, ...(cp ? { lastCheckpoint: cp } : {}) };
}

/** `12.3k/s`, `850/s`. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)}M/s`;
  if (perSecond >= 1e4) return `${Math.round(perSecond / 1e3)}k/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  return `${Math.round(perSecond)}/s`;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
