/** What the checkpoint benchmark's measurements print (one `RESULT ` JSON line each) and bench/run.ts reports. */
import type { StateBackendType } from '../../dist/runtime/state/state-backends.js';

/** One checkpoint of a backend: phases in ms, bytes. */
export interface SnapshotPhases {
  syncMs: number;
  asyncMs: number;
  totalMs: number;
  /** Bytes this checkpoint wrote to checkpoint storage. */
  uploadedBytes: number;
  /** Bytes the checkpoint consists of (for an incremental one: including files of earlier checkpoints). */
  totalBytes: number;
}

export interface BackendSnapshotResult {
  backend: StateBackendType;
  keys: number;
  /** State entries the backend reported after the fill. */
  entries: number;
  fillMs: number;
  /** The checkpoint a task takes: hashmap → canonical state file; lsm → incremental files (full: the first one). */
  full: SnapshotPhases;
  /** lsm only: the next checkpoint after `updatedKeys` keys changed. */
  incremental?: SnapshotPhases & { updatedKeys: number };
  /** lsm only: the canonical snapshot (savepoint format) written as a state file. */
  canonical?: SnapshotPhases;
  /** Entries restored into a fresh backend from the (first) checkpoint, and how long it took. */
  restore: { ms: number; entries: number };
  heapUsedMb: number;
}

/** One kill of a TaskManager: ms from the kill to each event. */
export interface RecoveryRound {
  /** The JobManager noticed (the job went FAILING). */
  detectedMs: number;
  /** The job was RUNNING again (the new attempt deployed). */
  jobRunningMs: number;
  /** Every task of the new attempt RUNNING. */
  tasksRunningMs: number;
  /** The first checkpoint of the new attempt completed. */
  checkpointMs: number;
}

export interface RecoveryResult {
  kills: number;
  parallelism: number;
  keys: number;
  rate: number;
  records: number;
  intervalMs: number;
  restartDelayMs: number;
  /** How the job ended after the kills. */
  status: string;
  /** Restores from a checkpoint the job went through. */
  restored: number;
  /** Keys whose last record reached the sink, and the sum of their counts (equals records when no state update was lost or repeated). */
  finalKeys: number;
  finalCountSum: number;
  rounds: RecoveryRound[];
}
