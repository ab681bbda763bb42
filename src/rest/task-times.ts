/**
 * The figures of a subtask that its TaskManager's metrics provide: accumulated busy, idle and
 * backpressured time, and the current input watermark. Every REST view reads them here, so that
 * one function changes when the TaskManagers report more. Today the TaskManagers report the
 * backpressured time only: busy and idle time are 0 (not measured) and no watermark is reported.
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
  return { busyMs: 0, idleMs: 0, backPressuredMs: Math.round(m.backPressuredTimeMs) };
}

/** Busy and idle share of wall time between the last two reports (0..1): not measured yet. */
export function busyIdleRatios(_m: TaskMetrics): { busyRatio: number; idleRatio: number } {
  return { busyRatio: 0, idleRatio: 0 };
}

/** The subtask's current input watermark (ms), when its TaskManager reports one. */
export function reportedInputWatermark(_m: TaskMetrics): number | undefined {
  return undefined;
}
