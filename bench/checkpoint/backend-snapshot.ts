/**
 * Checkpoint duration and size of one keyed state backend holding N keys of ValueState (a small
 * object per key), in this (fresh) process. Prints one JSON line prefixed `RESULT `.
 *
 *   node --import tsx bench/checkpoint/backend-snapshot.ts --backend hashmap --keys 1000000
 *   node --import tsx bench/checkpoint/backend-snapshot.ts --backend lsm --keys 1000000
 *   node --import tsx bench/checkpoint/backend-snapshot.ts --storage s3://bucket/bench   (s3.* options as JSON in WEIR_BENCH_FS_CONFIG)
 *
 * hashmap: the path a task takes at a barrier (src/runtime/checkpoint/subtask-checkpoint.ts, checkpointState,
 * snapshotChain and persistSnapshot), step by step: the synchronous part (in the mailbox, processing
 * stops) is the backend's snapshotEncoded() — it lists the keys — and the timers' snapshot; the
 * asynchronous part (the task processes records meanwhile; copy-on-write keeps the snapshot as of
 * the barrier) encodes the entries chunk by chunk, then the subtask's state file around them, and
 * writes it into chk-<n>/ of checkpoint storage. Then the file is read back and restored into a fresh backend (what a restarted
 * task does before it opens its operators).
 *
 * lsm: measured through the backend's own API, as a task would drive it:
 * - incremental: checkpointFiles(id, sharedDir, alreadyUploaded). Its synchronous part is the call
 *   itself (it captures the changes not yet written into a LevelDB write batch); the asynchronous
 *   part writes them, flushes the memtable, hard-links the table files and copies those not uploaded
 *   before. A second checkpoint after 1 % of the keys changed shows what an incremental one uploads.
 *   Restore: restoreFromFiles() into a fresh backend.
 * - canonical: snapshot() (every entry in the backend-independent format, what savepoints use and
 *   what a subtask's checkpoint takes through the KeyedStateBackend interface), then the same state file as
 *   the heap backend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ValueStateDescriptor, type ValueState } from '../../dist/index.js';
import { configureFileSystems, getFileSystem, joinPath } from '../../dist/fs/index.js';
import { DEFAULT_MAX_PARALLELISM, keyGroupRangeForSubtask } from '../../dist/graph/key-groups.js';
import {
  CheckpointStorage,
  packState,
  readSubtaskState,
  stateFileName,
  subtaskStateFile,
  unpackState,
  writeSubtaskState,
  type OperatorSubtaskState,
} from '../../dist/runtime/checkpoint/storage.js';
import { HeapTimerServiceManager } from '../../dist/runtime/operators/heap-timer-service.js';
import type { EncodedHeapSnapshot, HeapKeyedStateBackend, HeapStateSnapshot } from '../../dist/runtime/state/heap-keyed-state-backend.js';
import { packKeyedStateChunks } from '../../dist/runtime/state/snapshot-encoding.js';
import type { KeyedStateBackend } from '../../dist/runtime/state/keyed-state-backend.js';
import type { LsmKeyedStateBackend } from '../../dist/runtime/state/lsm/backend.js';
import { createKeyedStateBackend, loadStateBackend, type StateBackendType } from '../../dist/runtime/state/state-backends.js';
import type { BackendSnapshotResult, SnapshotPhases } from './results.js';

const argv = process.argv;
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const backendType = opt('backend', 'hashmap') as StateBackendType;
const keys = Number(opt('keys', '1000000'));
const updateShare = Number(opt('update-share', '0.01'));
if (!Number.isSafeInteger(keys) || keys <= 0) throw new Error(`--keys must be a positive integer, got ${opt('keys', '')}`);

interface Counter {
  count: number;
  sum: number;
  last: number;
}
const descriptor = new ValueStateDescriptor<Counter>('counter');
const value = (i: number, round: number): Counter => ({ count: round, sum: i * round, last: 1_700_000_000_000 + i });

const maxParallelism = DEFAULT_MAX_PARALLELISM;
const VERTEX = 'bench-vertex';
const OPERATOR = 'bench-operator';
const work = mkdtempSync(join(tmpdir(), 'weir-bench-checkpoint-'));
// Checkpoint storage: a local directory by default, or any location of src/fs (--storage s3://...).
configureFileSystems(JSON.parse(process.env.WEIR_BENCH_FS_CONFIG ?? '{}') as Record<string, unknown>);
const storageBase = opt('storage', join(work, 'checkpoints'));
const storage = new CheckpointStorage(storageBase, `bench-job-${process.pid}-${Date.now()}`);
const ms = (x: number): number => Math.round(x * 10) / 10;

/** Sets every key in `ks` (an iterable of indexes), in batches of 1 000 with a prefetch before each (as a runtime must for lsm). */
async function fill(backend: KeyedStateBackend, state: ValueState<Counter>, ks: Iterable<number>, round: number): Promise<void> {
  const prefetch = (backend as { prefetch?: (keys: Iterable<unknown>) => Promise<void> }).prefetch?.bind(backend);
  let batch: number[] = [];
  const apply = async (): Promise<void> => {
    if (prefetch) await prefetch(batch);
    for (const k of batch) {
      backend.setCurrentKey(k);
      state.update(value(k, round));
    }
    batch = [];
  };
  for (const k of ks) {
    batch.push(k);
    if (batch.length === 1000) await apply();
  }
  await apply();
}

/**
 * The state file of one keyed operator, as subtask-checkpoint.ts writes it: the synchronous part packs the keyed
 * snapshot (and timers) now, the asynchronous part awaits what is still coming, packs the subtask
 * state file and writes it into chk-<n>/.
 */
async function canonicalCheckpoint(
  checkpointId: number,
  snapshot: () => HeapStateSnapshot | Promise<HeapStateSnapshot> | EncodedHeapSnapshot,
  timers: HeapTimerServiceManager,
): Promise<SnapshotPhases & { file: string }> {
  const dir = await storage.initCheckpoint(checkpointId);
  const keyGroupRange = keyGroupRangeForSubtask(maxParallelism, 1, 0);
  const t0 = performance.now();
  // ---- synchronous part (subtask-checkpoint.ts snapshotChain)
  const s = snapshot();
  const timerSnapshot = timers.snapshot();
  let data: Uint8Array | Promise<Uint8Array>;
  if ('entries' in s && typeof s.entries === 'number') {
    const timerBytes = packState(timerSnapshot);
    data = s.states.then((states) => packKeyedStateChunks(states, timerBytes));
  } else if (s instanceof Promise) {
    const timerBytes = packState(timerSnapshot);
    data = s.then((x) => packState({ states: x.states, timers: unpackState(timerBytes) }));
  } else {
    data = packState({ states: (s as HeapStateSnapshot).states, timers: timerSnapshot });
  }
  const t1 = performance.now();
  // ---- asynchronous part (subtask-checkpoint.ts persistSnapshot)
  const operators: Record<string, OperatorSubtaskState> = {
    [OPERATOR]: { keyed: { maxParallelism, keyGroupRange, data: await data } },
  };
  const bytes = packState(subtaskStateFile(checkpointId, VERTEX, 0, operators));
  const name = stateFileName(VERTEX, 0, 0);
  await writeSubtaskState(dir, name, bytes);
  const t2 = performance.now();
  const file = joinPath(dir, name);
  const size = (await getFileSystem(file).stat(file))!.size;
  return { syncMs: ms(t1 - t0), asyncMs: ms(t2 - t1), totalMs: ms(t2 - t0), uploadedBytes: size, totalBytes: size, file };
}

/** Reads a state file back into a fresh backend of the same type (state-assignment.ts and Task.restoreState do the same). */
async function restoreCanonical(file: string, type: StateBackendType): Promise<{ ms: number; entries: number }> {
  const t0 = performance.now();
  const s = await readSubtaskState(file);
  const keyed = s.operators[OPERATOR]!.keyed!;
  const { states } = unpackState<{ states: HeapStateSnapshot['states'] }>(keyed.data);
  const fresh = createKeyedStateBackend(type, { maxParallelism, workingDir: join(work, 'lsm') });
  const restored = fresh as KeyedStateBackend & { restore(s: HeapStateSnapshot, r?: { start: number; end: number }): unknown };
  await restored.restore({ states }, keyed.keyGroupRange);
  const t = performance.now() - t0;
  const entries = fresh.numEntries();
  await fresh.dispose();
  return { ms: ms(t), entries };
}

async function dirBytes(dir: string, files: string[]): Promise<number> {
  let n = 0;
  for (const f of files) n += (await getFileSystem(dir).stat(joinPath(dir, f)))!.size;
  return n;
}

async function main(): Promise<BackendSnapshotResult> {
  await loadStateBackend('lsm'); // the canonical checkpoint is restored on both backends
  const pts = { getCurrentProcessingTime: () => Date.now(), registerTimer: () => () => undefined };
  const backend = createKeyedStateBackend(backendType, { maxParallelism, operatorName: 'bench', workingDir: join(work, 'lsm') });
  const timers = new HeapTimerServiceManager(backend, pts);
  const state = backend.getState(descriptor);
  const range = (n: number): Iterable<number> => ({
    *[Symbol.iterator]() {
      for (let i = 0; i < n; i++) yield i;
    },
  });
  const f0 = performance.now();
  await fill(backend, state, range(keys), 1);
  const fillMs = ms(performance.now() - f0);
  const entries = backend.numEntries();
  if (entries !== keys) throw new Error(`the backend holds ${entries} entries after setting ${keys} keys`);

  if (backendType === 'hashmap') {
    const heap = backend as HeapKeyedStateBackend;
    const full = await canonicalCheckpoint(1, () => heap.snapshotEncoded(), timers);
    const heapUsedMb = process.memoryUsage().heapUsed / 2 ** 20;
    const restore = await restoreCanonical(full.file, 'hashmap');
    const { file: _file, ...phases } = full;
    void _file;
    return { backend: backendType, keys, entries, fillMs, full: phases, restore, heapUsedMb: Math.round(heapUsedMb) };
  }

  const lsm = backend as LsmKeyedStateBackend;
  const shared = joinPath(storage.sharedDir, 'lsm-0');
  await getFileSystem(shared).mkdirs(shared);
  const incrementalCheckpoint = async (id: number, uploaded: ReadonlySet<string>) => {
    const t0 = performance.now();
    const p = lsm.checkpointFiles(id, shared, uploaded);
    const t1 = performance.now();
    const r = await p;
    const t2 = performance.now();
    const onDisk = await dirBytes(shared, r.uploaded);
    if (onDisk !== r.uploadedBytes) throw new Error(`checkpoint ${id}: ${onDisk} bytes on disk, the backend reports ${r.uploadedBytes}`);
    return {
      phases: { syncMs: ms(t1 - t0), asyncMs: ms(t2 - t1), totalMs: ms(t2 - t0), uploadedBytes: r.uploadedBytes, totalBytes: r.totalBytes },
      files: r.files,
    };
  };
  const first = await incrementalCheckpoint(1, new Set());
  // 1 % of the keys change, spread over the key space (every 100th key).
  const updatedKeys = Math.max(1, Math.round(keys * updateShare));
  const step = keys / updatedKeys;
  await fill(
    backend,
    state,
    {
      *[Symbol.iterator]() {
        for (let j = 0; j < updatedKeys; j++) yield Math.floor(j * step);
      },
    },
    2,
  );
  const second = await incrementalCheckpoint(2, new Set(first.files));
  const canonical = await canonicalCheckpoint(3, () => lsm.canonicalSnapshot(), timers);
  const heapUsedMb = process.memoryUsage().heapUsed / 2 ** 20;
  await lsm.dispose();

  const r0 = performance.now();
  const fresh = createKeyedStateBackend('lsm', { maxParallelism, workingDir: join(work, 'lsm') });
  await fresh.restoreFromFiles([joinPath(shared, first.files[0]!)]);
  const restore = { ms: ms(performance.now() - r0), entries: fresh.numEntries() };
  await fresh.dispose();
  const { file: _file, ...canonicalPhases } = canonical;
  void _file;
  return {
    backend: backendType,
    keys,
    entries,
    fillMs,
    full: first.phases,
    incremental: { ...second.phases, updatedKeys },
    canonical: canonicalPhases,
    restore,
    heapUsedMb: Math.round(heapUsedMb),
  };
}

try {
  const r = await main();
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
} finally {
  await storage.discardAll().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
