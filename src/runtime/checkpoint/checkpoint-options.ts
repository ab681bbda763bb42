/** A job's checkpointing options (Flink's keys and defaults) and their REST view (CheckpointConfigInfo). */
import type { CheckpointingMode } from '../rpc/messages.js';
import { resolveCheckpointBaseDir } from './storage.js';

export type CheckpointRetention = 'NO_EXTERNALIZED_CHECKPOINTS' | 'DELETE_ON_CANCELLATION' | 'RETAIN_ON_CANCELLATION';

export interface CheckpointingOptions {
  interval: number;
  mode: CheckpointingMode;
  timeout: number;
  minPause: number;
  maxConcurrent: number;
  tolerableFailures: number;
  numRetained: number;
  retention: CheckpointRetention;
  /** `execution.checkpointing.dir`, absolute. */
  baseDir: string;
  /** `state.backend.type` (hashmap when absent). */
  stateBackend?: 'hashmap' | 'lsm';
}

/** The job's checkpointing options, or undefined when it takes none (no interval, or BATCH, as in Flink). */
export function checkpointingOptions(get: (key: string) => unknown, runtimeMode: 'STREAMING' | 'BATCH'): CheckpointingOptions | undefined {
  const interval = get('execution.checkpointing.interval');
  if (interval === undefined || interval === null || runtimeMode === 'BATCH') return undefined;
  const n = (k: string, d: number): number => {
    const v = get(k);
    return v === undefined || v === null ? d : Number(v);
  };
  return {
    interval: Number(interval),
    mode: (get('execution.checkpointing.mode') as CheckpointingMode | undefined) ?? 'EXACTLY_ONCE',
    timeout: n('execution.checkpointing.timeout', 600_000),
    minPause: n('execution.checkpointing.min-pause', 0),
    maxConcurrent: Math.max(1, n('execution.checkpointing.max-concurrent-checkpoints', 1)),
    tolerableFailures: n('execution.checkpointing.tolerable-failed-checkpoints', 0),
    numRetained: Math.max(1, n('execution.checkpointing.num-retained', 1)),
    retention:
      (get('execution.checkpointing.externalized-checkpoint-retention') as CheckpointRetention | undefined) ??
      'NO_EXTERNALIZED_CHECKPOINTS',
    baseDir: resolveCheckpointBaseDir(get('execution.checkpointing.dir')),
    stateBackend: get('state.backend.type') === 'lsm' ? 'lsm' : 'hashmap',
  };
}

/** Flink's CheckpointConfigInfo (/jobs/:id/checkpoints/config). */
export interface CheckpointConfigInfo {
  mode: 'exactly_once' | 'at_least_once';
  interval: number;
  timeout: number;
  min_pause: number;
  max_concurrent: number;
  externalization: { enabled: boolean; delete_on_cancellation: boolean };
  state_backend: string;
  checkpoint_storage: string;
  unaligned_checkpoints: boolean;
  tolerable_failed_checkpoints: number;
  aligned_checkpoint_timeout: number;
  checkpoints_after_tasks_finish: boolean;
  state_changelog_enabled: boolean;
  changelog_periodic_materialization_interval: number;
  changelog_storage: string;
}

export function checkpointConfigInfo(o: CheckpointingOptions): CheckpointConfigInfo {
  return {
    mode: o.mode === 'EXACTLY_ONCE' ? 'exactly_once' : 'at_least_once',
    interval: o.interval,
    timeout: o.timeout,
    min_pause: o.minPause,
    max_concurrent: o.maxConcurrent,
    externalization: {
      enabled: o.retention !== 'NO_EXTERNALIZED_CHECKPOINTS',
      delete_on_cancellation: o.retention !== 'RETAIN_ON_CANCELLATION',
    },
    state_backend: o.stateBackend === 'lsm' ? 'LsmStateBackend' : 'HashMapStateBackend',
    checkpoint_storage: 'FileSystemCheckpointStorage',
    unaligned_checkpoints: false,
    tolerable_failed_checkpoints: o.tolerableFailures,
    aligned_checkpoint_timeout: 0,
    checkpoints_after_tasks_finish: true,
    state_changelog_enabled: false,
    changelog_periodic_materialization_interval: 0,
    changelog_storage: 'memory',
  };
}
