/**
 * The figures of a subtask that its TaskManager's metrics provide: accumulated busy, idle and
 * backpressured time, and the current input watermark. Every REST view reads them here, so that
 * one function changes when the TaskManagers report more.
 */
import type { TaskMetrics } from '../runtime/rpc/messages.js';

export interface TaskTimes {
  /** ms spent processing records (accumulated-busy-time). */
  busyMs: number;
  /** ms spent waiting for input (accumulated-idle-time). */
  idleMs: number;
  /** ms spent waiting for output buffers (accumulated-backpressured-time). */
  backPressuredMs: number;
}

/** Accumulated busy, idle and backpressured time of a subtask (or of a vertex's summed metrics). */
export function accumulatedTaskTimes(m: TaskMetrics): TaskTimes {
  return { busyMs: Math.round(m.busyTimeMs), idleMs: Math.round(m.idleTimeMs), backPressuredMs: Math.round(m.backPressuredTimeMs) };
}

/** Busy and idle share of wall time over the latest second, as the task's metrics measured it (0..1). */
export function busyIdleRatios(m: TaskMetrics): { busyRatio: number; idleRatio: number } {
  return { busyRatio: (m.busyTimeMsPerSecond ?? 0) / 1000, idleRatio: (m.idleTimeMsPerSecond ?? 0) / 1000 };
}

/** The subtask's current input watermark (ms), when its TaskManager reports one. */
export function reportedInputWatermark(m: TaskMetrics): number | undefined {
  return m.inputWatermark;
}
