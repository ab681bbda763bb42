/**
 * The keyed state backends (Flink's `state.backend.type`): `hashmap` keeps state on the heap,
 * `lsm` in an embedded LevelDB per operator subtask (state larger than memory, incremental
 * checkpoints). Both implement KeyedStateBackend and share the canonical snapshot format, so a
 * savepoint taken with one restores on the other.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WeirError } from '../../errors.js';
import { HeapKeyedStateBackend } from './heap-keyed-state-backend.js';
import type { KeyedStateBackend } from './keyed-state-backend.js';
import type { LsmKeyedStateBackend, LsmKeyedStateBackendOptions } from './lsm/backend.js';

type LsmModule = typeof import('./lsm/backend.js');
let lsmModule: LsmModule | undefined;

/**
 * Loads the modules `state.backend.type` needs before backends are created (synchronously, while a
 * task is set up). The lsm backend loads LevelDB's native addon and a dozen modules (~30–40 ms of
 * a slot thread's start-up), which jobs on the heap backend never pay.
 */
export async function loadStateBackend(type: StateBackendType): Promise<void> {
  if (type === 'lsm') lsmModule ??= await import('./lsm/backend.js');
}

function lsmBackendModule(): LsmModule {
  if (lsmModule === undefined)
    throw new WeirError('WEIR_INTERNAL', "The lsm state backend was not loaded: call loadStateBackend('lsm') first");
  return lsmModule;
}

export type StateBackendType = 'hashmap' | 'lsm';

export const STATE_BACKEND_TYPES: readonly StateBackendType[] = ['hashmap', 'lsm'];

export type KeyedStateBackendOptions = LsmKeyedStateBackendOptions;

export function createKeyedStateBackend(type: 'hashmap', opts: KeyedStateBackendOptions): HeapKeyedStateBackend;
export function createKeyedStateBackend(type: 'lsm', opts: KeyedStateBackendOptions): LsmKeyedStateBackend;
export function createKeyedStateBackend(type: StateBackendType, opts: KeyedStateBackendOptions): KeyedStateBackend;
export function createKeyedStateBackend(type: StateBackendType, opts: KeyedStateBackendOptions): KeyedStateBackend {
  switch (type) {
    case 'hashmap': {
      const o: { maxParallelism: number; operatorName?: string; operatorUid?: string } = { maxParallelism: opts.maxParallelism };
      if (opts.operatorName !== undefined) o.operatorName = opts.operatorName;
      if (opts.operatorUid !== undefined) o.operatorUid = opts.operatorUid;
      return new HeapKeyedStateBackend(o);
    }
    case 'lsm':
      return new (lsmBackendModule().LsmKeyedStateBackend)(opts);
    default:
      throw new WeirError('WEIR_CONFIG_BAD_VALUE', `Unknown state backend '${String(type)}': use 'hashmap' or 'lsm'`);
  }
}

/**
 * The keyed state backend of one operator subtask as a job's configuration asks for it:
 * `state.backend.type`, and for lsm `state.backend.incremental` and the working directory of the attempt.
 */
export function createConfiguredKeyedStateBackend(
  config: Readonly<Record<string, unknown>>,
  job: { jobId: string; attempt: number },
  opts: { maxParallelism: number; operatorName?: string; operatorUid?: string },
): KeyedStateBackend {
  if (stateBackendType(config) === 'hashmap') return createKeyedStateBackend('hashmap', opts);
  const inc = config['state.backend.incremental'];
  return createKeyedStateBackend('lsm', {
    ...opts,
    workingDir: lsmWorkingDir(config, job.jobId, job.attempt),
    incremental: inc === true || inc === 'true',
  });
}

/** `state.backend.type` of a job's configuration (hashmap unless set). */
export function stateBackendType(config: Readonly<Record<string, unknown>>): StateBackendType {
  return config['state.backend.type'] === 'lsm' ? 'lsm' : 'hashmap';
}

/**
 * Where the lsm backends of one job attempt keep their databases in this TaskManager:
 * `<state.backend.lsm.localdir>/<jobId>-<attempt>` (each backend makes a directory of its own inside).
 * The TaskManager removes it when it releases the attempt's workers.
 */
export function lsmWorkingDir(config: Readonly<Record<string, unknown>>, jobId: string, attempt: number): string {
  const base = config['state.backend.lsm.localdir'];
  return join(typeof base === 'string' && base !== '' ? base : join(tmpdir(), 'weir-lsm'), `${jobId}-${attempt}`);
}
