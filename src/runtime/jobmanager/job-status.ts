/**
 * Job and task status machines as tables (Flink's JobStatus and ExecutionState). A job's
 * transitions go through JobStateMachine (job-state.ts), which ignores one the table does not list.
 */
import type { JobStatus } from '../../api/job-client.js';
import type { ExecutionState } from '../rpc/messages.js';

export const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  INITIALIZING: ['CREATED', 'FAILED', 'CANCELED'],
  CREATED: ['RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED'],
  RUNNING: ['FINISHED', 'FAILING', 'CANCELLING', 'RESTARTING', 'SUSPENDED'],
  FAILING: ['FAILED', 'RESTARTING', 'CANCELLING'],
  RESTARTING: ['RUNNING', 'CREATED', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED'],
  CANCELLING: ['CANCELED'],
  SUSPENDED: ['RECONCILING', 'RUNNING'],
  RECONCILING: ['RUNNING', 'FAILED', 'CANCELED', 'FINISHED'],
  FINISHED: [],
  FAILED: [],
  CANCELED: [],
};

export const TASK_TRANSITIONS: Readonly<Record<ExecutionState, readonly ExecutionState[]>> = {
  CREATED: ['SCHEDULED', 'DEPLOYING', 'CANCELED', 'FAILED'],
  SCHEDULED: ['DEPLOYING', 'CANCELED', 'FAILED'],
  DEPLOYING: ['INITIALIZING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED'],
  INITIALIZING: ['RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED'],
  RUNNING: ['FINISHED', 'CANCELING', 'CANCELED', 'FAILED'],
  CANCELING: ['CANCELED', 'FINISHED', 'FAILED'],
  FINISHED: [],
  CANCELED: [],
  FAILED: [],
};

export function isGloballyTerminal(s: JobStatus): boolean {
  return s === 'FINISHED' || s === 'FAILED' || s === 'CANCELED';
}

export function isTaskTerminal(s: ExecutionState): boolean {
  return s === 'FINISHED' || s === 'FAILED' || s === 'CANCELED';
}

/** Whether a task may move from `from` to `to`; stale reports (e.g. after a restart) are ignored by callers. */
export function canTaskTransition(from: ExecutionState, to: ExecutionState): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}
