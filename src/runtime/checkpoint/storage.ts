/**
 * Checkpoint storage on a filesystem (Flink's FileSystemCheckpointStorage). `execution.checkpointing.dir`
 * (a plain path or a file:// URI) holds one directory per job, one per checkpoint inside:
 *
 *   <dir>/<jobId>/chk-<n>/<state file of each subtask>   written by the tasks
 *   <dir>/<jobId>/chk-<n>/_metadata                      written last, by the CheckpointCoordinator
 *
 * `_metadata` is written to a temporary name and renamed, so it is either complete or absent; a
 * checkpoint directory without it is a checkpoint that never completed and is never used. Workers,
 * TaskManagers and the JobManager share this filesystem.
 *
 * Formats are MessagePack. The metadata names, per operator id, the state file of every subtask;
 * a state file holds, per operator id of the subtask's chain, keyed state as entries tagged with
 * their key group (so state can be split by key-group ranges) and operator state as named lists
 * (split or union redistribution), which is what savepoints and rescaling need as well.
 */
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packr, Unpackr } from 'msgpackr';
import { WeirError } from '../../errors.js';
import type { CheckpointingMode } from '../rpc/messages.js';

export const METADATA_FILE = '_metadata';
const METADATA_FORMAT = 'weir-checkpoint-metadata';
const STATE_FORMAT = 'weir-subtask-state';
export const FORMAT_VERSION = 1;

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false });

/** MessagePack, as every checkpoint file is written. */
export function packState(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function unpackState<T>(bytes: Uint8Array): T {
  return unpackr.unpack(bytes) as T;
}

// ---------------------------------------------------------------- formats

export interface CheckpointMetadata {
  format: typeof METADATA_FORMAT;
  version: number;
  jobId: string;
  jobName: string;
  checkpointId: number;
  /** When the checkpoint was triggered (ms since epoch). */
  timestamp: number;
  completedAt: number;
  mode: CheckpointingMode;
  operators: Record<string, OperatorMetadata>;
}

export interface OperatorMetadata {
  name: string;
  /** The operator's uid(), when it has one. */
  uid?: string;
  vertexId: string;
  parallelism: number;
  maxParallelism: number;
  /** State file of each subtask, relative to the checkpoint directory; null: no state. */
  files: (string | null)[];
  /** Subtasks that had finished when the checkpoint was taken (their state is empty). */
  finished: number[];
  /** The split enumerator's state, for the head operator of a source vertex. */
  coordinator?: unknown;
}

/** One list of operator state: `split` lists are cut among the subtasks on restore, `union` lists go to each. */
export interface OperatorListState {
  mode: 'split' | 'union';
  /** The items, MessagePack-encoded (packed in the synchronous part of the snapshot). */
  data: Uint8Array;
}

export interface KeyedStateSnapshot {
  maxParallelism: number;
  /** Inclusive key-group range of the subtask that wrote it. */
  keyGroupRange: { start: number; end: number };
  /** MessagePack of { states: HeapStateSnapshot['states'], timers: HeapTimersSnapshot }: entries tagged with key groups. */
  data: Uint8Array;
}

export interface OperatorSubtaskState {
  keyed?: KeyedStateSnapshot;
  lists?: Record<string, OperatorListState>;
}

export interface SubtaskStateFile {
  format: typeof STATE_FORMAT;
  version: number;
  checkpointId: number;
  vertexId: string;
  subtask: number;
  operators: Record<string, OperatorSubtaskState>;
}

export function subtaskStateFile(
  checkpointId: number,
  vertexId: string,
  subtask: number,
  operators: Record<string, OperatorSubtaskState>,
): SubtaskStateFile {
  return { format: STATE_FORMAT, version: FORMAT_VERSION, checkpointId, vertexId, subtask, operators };
}

export function newMetadata(m: Omit<CheckpointMetadata, 'format' | 'version'>): CheckpointMetadata {
  return { format: METADATA_FORMAT, version: FORMAT_VERSION, ...m };
}

// ---------------------------------------------------------------- locations

/** `execution.checkpointing.dir` as an absolute path: a plain path or a file:// URI; default `<tmp>/weir-checkpoints`. */
export function resolveCheckpointBaseDir(value: unknown): string {
  if (value === undefined || value === null || value === '') return path.join(os.tmpdir(), 'weir-checkpoints');
  const s = String(value);
  if (s.startsWith('file:')) return fileURLToPath(s.startsWith('file://') ? s : `file://${s.slice(5)}`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    throw new WeirError('WEIR_CONFIG_BAD_VALUE', `execution.checkpointing.dir '${s}': only local paths and file:// URIs are supported`);
  }
  return path.resolve(s);
}

/**
 * The directory of a job's files that several checkpoints may share (`<jobDir>/shared`): the table
 * files of lsm incremental checkpoints. The CheckpointCoordinator deletes one once no retained
 * checkpoint refers to it.
 */
export const SHARED_DIR = 'shared';

/** The shared directory of the job whose checkpoint directory (chk-<n>) is `checkpointDir`. */
export function sharedDirOf(checkpointDir: string): string {
  return path.join(path.dirname(checkpointDir), SHARED_DIR);
}

export function checkpointDirName(checkpointId: number): string {
  return `chk-${checkpointId}`;
}

/** The name of a subtask's state file inside chk-<n>/. */
export function stateFileName(vertexId: string, subtask: number, attempt: number): string {
  return `${vertexId}-${subtask}-${attempt}.state`;
}

// ---------------------------------------------------------------- the JobManager side

/** The checkpoints of one job: `<base>/<jobId>/chk-<n>/`. */
export class CheckpointStorage {
  readonly jobDir: string;

  constructor(
    readonly baseDir: string,
    readonly jobId: string,
  ) {
    this.jobDir = path.join(baseDir, jobId);
  }

  checkpointDir(checkpointId: number): string {
    return path.join(this.jobDir, checkpointDirName(checkpointId));
  }

  get sharedDir(): string {
    return path.join(this.jobDir, SHARED_DIR);
  }

  /** Deletes files of the shared directory. */
  async discardShared(files: Iterable<string>): Promise<void> {
    await Promise.all([...files].map((f) => rm(path.join(this.sharedDir, path.basename(f)), { force: true })));
  }

  /** The names in the shared directory (none when it does not exist). */
  async listShared(): Promise<string[]> {
    return readdir(this.sharedDir).catch(() => [] as string[]);
  }

  /** Creates chk-<n>/ (the tasks write their files into it). */
  async initCheckpoint(checkpointId: number): Promise<string> {
    const dir = this.checkpointDir(checkpointId);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Writes `_metadata` last and atomically: to a temporary file, synced, then renamed. Returns the checkpoint directory. */
  async writeMetadata(metadata: CheckpointMetadata): Promise<string> {
    const dir = this.checkpointDir(metadata.checkpointId);
    const tmp = path.join(dir, `.${METADATA_FILE}.${process.pid}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(packState(metadata));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path.join(dir, METADATA_FILE));
    return dir;
  }

  /** Deletes chk-<n>/ and everything in it. */
  async discard(checkpointId: number): Promise<void> {
    await rm(this.checkpointDir(checkpointId), { recursive: true, force: true });
  }

  /** Deletes the job's directory. */
  async discardAll(): Promise<void> {
    await rm(this.jobDir, { recursive: true, force: true });
  }
}

export interface LoadedCheckpoint {
  metadata: CheckpointMetadata;
  /** The checkpoint directory (holding _metadata), absolute. */
  dir: string;
}

/**
 * Reads a completed checkpoint: `location` is its directory (chk-<n>), its _metadata file, or a
 * job directory (then its latest completed checkpoint is taken). A directory without _metadata is
 * not a completed checkpoint.
 */
export async function loadCheckpoint(location: string): Promise<LoadedCheckpoint> {
  let loc = resolveCheckpointBaseDir(location);
  if (path.basename(loc) === METADATA_FILE) loc = path.dirname(loc);
  const st = await stat(loc).catch(() => undefined);
  if (!st?.isDirectory()) throw new WeirError('WEIR_CHECKPOINT', `no checkpoint at ${location}: not a directory`);
  let dir = loc;
  if (!(await stat(path.join(loc, METADATA_FILE)).catch(() => undefined))) {
    const latest = await latestCompletedIn(loc);
    if (latest === undefined) throw new WeirError('WEIR_CHECKPOINT', `no completed checkpoint at ${location}: no ${METADATA_FILE} found`);
    dir = latest;
  }
  let metadata: CheckpointMetadata;
  try {
    metadata = unpackState<CheckpointMetadata>(await readFile(path.join(dir, METADATA_FILE)));
  } catch (e) {
    throw new WeirError('WEIR_CHECKPOINT', `cannot read ${path.join(dir, METADATA_FILE)}: ${(e as Error).message}`, {}, { cause: e });
  }
  if (metadata?.format !== METADATA_FORMAT || metadata.version !== FORMAT_VERSION) {
    throw new WeirError('WEIR_CHECKPOINT', `${path.join(dir, METADATA_FILE)} is not a Weir checkpoint of format version ${FORMAT_VERSION}`);
  }
  return { metadata, dir };
}

/** The chk-<n> directory with the highest n that has a _metadata file, in a job directory. */
export async function latestCompletedIn(jobDir: string): Promise<string | undefined> {
  const names = await readdir(jobDir).catch(() => [] as string[]);
  const ids = names
    .map((n) => /^chk-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const id of ids) {
    const dir = path.join(jobDir, checkpointDirName(id));
    if (await stat(path.join(dir, METADATA_FILE)).catch(() => undefined)) return dir;
  }
  return undefined;
}

// ---------------------------------------------------------------- the task side

/** Writes a subtask's state file into chk-<n>/ (which must exist: an aborted checkpoint's directory is gone, and so the write fails). */
/** Writes a subtask's state file and flushes it to disk before the task acknowledges (`_metadata`, written later, refers to it). */
export async function writeSubtaskState(checkpointDir: string, fileName: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path.join(checkpointDir, fileName), 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function readSubtaskState(file: string): Promise<SubtaskStateFile> {
  const s = unpackState<SubtaskStateFile>(await readFile(file));
  if (s?.format !== STATE_FORMAT || s.version !== FORMAT_VERSION) {
    throw new WeirError('WEIR_CHECKPOINT', `${file} is not a Weir subtask state file of format version ${FORMAT_VERSION}`);
  }
  return s;
}

/**
 * Loads what `execution.savepoint.path` (`-s`) names, for a restore: a savepoint or retained
 * checkpoint directory, its `_metadata`, or a job directory. A missing path, a directory without
 * `_metadata` (half-written) and a corrupt `_metadata` are WEIR_SAVEPOINT errors.
 */
export async function loadRestorePoint(location: string): Promise<LoadedCheckpoint> {
  try {
    return await loadCheckpoint(location);
  } catch (e) {
    if (!(e instanceof WeirError)) throw e;
    throw new WeirError('WEIR_SAVEPOINT', `cannot restore from execution.savepoint.path (-s): ${e.message}`, {}, { cause: e });
  }
}
