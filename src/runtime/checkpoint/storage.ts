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
 * The directory may be on any file system of src/fs (a local path, file://, s3://). With
 * `s3.entropy.key`, state files go to paths with random characters in place of the key (their
 * absolute locations are in the metadata) and every other path has the key removed.
 *
 * Formats are MessagePack. The metadata names, per operator id, the state file of every subtask;
 * a state file holds, per operator id of the subtask's chain, keyed state as entries tagged with
 * their key group (so state can be split by key-group ranges) and operator state as named lists
 * (split or union redistribution), which is what savepoints and rescaling need as well.
 */
import os from 'node:os';
import path from 'node:path';
import { Packr, Unpackr } from 'msgpackr';
import { WeirError } from '../../errors.js';
import {
  baseName,
  canonicalLocation,
  entropyOf,
  fileSystemConfig,
  getFileSystem,
  injectEntropy,
  isAbsoluteLocation,
  joinPath,
  parentPath,
  removeEntropy,
  type ConfigLookup,
  type Entropy,
  type FileSystem,
} from '../../fs/index.js';
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
  /** State file of each subtask, relative to the checkpoint directory or absolute (entropy injection); null: no state. */
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

/**
 * `execution.checkpointing.dir` as an absolute location: a plain path, a file:// or an s3:// URI
 * (any other scheme is an error); default `<tmp>/weir-checkpoints`.
 */
export function resolveCheckpointBaseDir(value: unknown): string {
  if (value === undefined || value === null || value === '') return path.join(os.tmpdir(), 'weir-checkpoints');
  const s = canonicalLocation(String(value));
  getFileSystem(s); // an unknown scheme fails here, naming the location
  return s;
}

/**
 * The directory of a job's files that several checkpoints may share (`<jobDir>/shared`): the table
 * files of lsm incremental checkpoints. The CheckpointCoordinator deletes one once no retained
 * checkpoint refers to it.
 */
export const SHARED_DIR = 'shared';

/** The shared directory of the job whose checkpoint directory (chk-<n>) is `checkpointDir`. */
export function sharedDirOf(checkpointDir: string): string {
  return joinPath(parentPath(checkpointDir), SHARED_DIR);
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
  /** The job's directory, without entropy. */
  readonly jobDir: string;
  /** The job's directory as the tasks get it: with the entropy key, which they replace in state file paths. */
  readonly taskJobDir: string;
  readonly fs: FileSystem;
  private readonly entropy: Entropy | undefined;

  constructor(
    readonly baseDir: string,
    readonly jobId: string,
    config: ConfigLookup = fileSystemConfig(),
  ) {
    this.fs = getFileSystem(baseDir);
    this.entropy = entropyOf(baseDir, config);
    this.taskJobDir = joinPath(baseDir, jobId);
    this.jobDir = removeEntropy(this.taskJobDir, this.entropy);
  }

  checkpointDir(checkpointId: number): string {
    return joinPath(this.jobDir, checkpointDirName(checkpointId));
  }

  get sharedDir(): string {
    return joinPath(this.jobDir, SHARED_DIR);
  }

  /** Deletes files of the shared directory. */
  async discardShared(files: Iterable<string>): Promise<void> {
    await Promise.all([...files].map((f) => this.fs.delete(joinPath(this.sharedDir, baseName(f)))));
  }

  /** The names in the shared directory (none when it does not exist). */
  async listShared(): Promise<string[]> {
    return (await this.fs.list(this.sharedDir).catch(() => [])).filter((f) => !f.isDir).map((f) => f.name);
  }

  /** Creates chk-<n>/ (the tasks write their files into it). */
  async initCheckpoint(checkpointId: number): Promise<string> {
    const dir = this.checkpointDir(checkpointId);
    await this.fs.mkdirs(dir);
    return dir;
  }

  /** Writes `_metadata` last and atomically (a local file is written to a temporary name, synced, renamed). Returns the checkpoint directory. */
  async writeMetadata(metadata: CheckpointMetadata): Promise<string> {
    const dir = this.checkpointDir(metadata.checkpointId);
    await this.fs.writeFile(joinPath(dir, METADATA_FILE), packState(metadata), { atomic: true });
    return dir;
  }

  /** Deletes chk-<n>/ and everything in it, and the state files its metadata names elsewhere (entropy). */
  async discard(checkpointId: number, metadata?: CheckpointMetadata, stateFiles: string[] = []): Promise<void> {
    const elsewhere =
      stateFiles.length > 0
        ? stateFiles
        : metadata
          ? Object.values(metadata.operators).flatMap((o) => o.files.filter((f): f is string => f !== null && isAbsoluteLocation(f)))
          : [];
    await Promise.all(elsewhere.map((f) => this.fs.delete(f)));
    await this.fs.delete(this.checkpointDir(checkpointId), true);
  }

  /**
   * Deletes the job's directory and, with entropy injection, the job's directories under every
   * entropy value (state files that no metadata names, written by tasks of aborted checkpoints).
   */
  async discardAll(): Promise<void> {
    const e = this.entropy;
    const at = e ? this.taskJobDir.indexOf(e.key) : -1;
    if (e && at >= 0) {
      const before = this.taskJobDir.slice(0, at);
      const after = this.taskJobDir.slice(at + e.key.length);
      const re = new RegExp(`^[a-z0-9]{${e.length}}$`);
      for (const d of await this.fs.list(before)) {
        if (d.isDir && re.test(d.name)) await this.fs.delete(joinPath(before, d.name, after), true);
      }
    }
    await this.fs.delete(this.jobDir, true);
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
  if (baseName(loc) === METADATA_FILE) loc = parentPath(loc);
  const fs = getFileSystem(loc);
  const st = await fs.stat(loc).catch((e: unknown) => {
    throw new WeirError('WEIR_CHECKPOINT', `no checkpoint at ${location}: ${(e as Error).message}`, {}, { cause: e });
  });
  if (!st?.isDir) throw new WeirError('WEIR_CHECKPOINT', `no checkpoint at ${location}: not a directory`);
  let dir = loc;
  if (!(await fs.stat(joinPath(loc, METADATA_FILE)))) {
    const latest = await latestCompletedIn(loc);
    if (latest === undefined) throw new WeirError('WEIR_CHECKPOINT', `no completed checkpoint at ${location}: no ${METADATA_FILE} found`);
    dir = latest;
  }
  const file = joinPath(dir, METADATA_FILE);
  let metadata: CheckpointMetadata;
  try {
    metadata = unpackState<CheckpointMetadata>(await fs.readFile(file));
  } catch (e) {
    throw new WeirError('WEIR_CHECKPOINT', `cannot read ${file}: ${(e as Error).message}`, {}, { cause: e });
  }
  if (metadata?.format !== METADATA_FORMAT || metadata.version !== FORMAT_VERSION) {
    throw new WeirError('WEIR_CHECKPOINT', `${file} is not a Weir checkpoint of format version ${FORMAT_VERSION}`);
  }
  return { metadata, dir };
}

/** The chk-<n> directory with the highest n that has a _metadata file, in a job directory. */
export async function latestCompletedIn(jobDir: string): Promise<string | undefined> {
  const fs = getFileSystem(jobDir);
  const names = (await fs.list(jobDir).catch(() => [])).map((f) => f.name);
  const ids = names
    .map((n) => /^chk-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const id of ids) {
    const dir = joinPath(jobDir, checkpointDirName(id));
    if (await fs.stat(joinPath(dir, METADATA_FILE)).catch(() => undefined)) return dir;
  }
  return undefined;
}

// ---------------------------------------------------------------- the task side

/** Writes a subtask's state file (durably: the local file is synced) before the task acknowledges (`_metadata`, written later, refers to it). */
export async function writeSubtaskState(checkpointDir: string, fileName: string, bytes: Uint8Array): Promise<void> {
  await getFileSystem(checkpointDir).writeFile(joinPath(checkpointDir, fileName), bytes, { atomic: false });
}

/** The location of a state file named in metadata: absolute (entropy injection) or relative to the checkpoint directory. */
export function stateFileLocation(checkpointDir: string, file: string): string {
  return isAbsoluteLocation(file) ? file : joinPath(checkpointDir, file);
}

export async function readSubtaskState(file: string): Promise<SubtaskStateFile> {
  const s = unpackState<SubtaskStateFile>(await getFileSystem(file).readFile(file));
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

/**
 * Where a task writes its state file for a checkpoint, from the job directory it was given (which
 * keeps the entropy key): with entropy, an absolute location with random characters (named so in
 * the metadata); otherwise chk-<n>/<name>, named relatively.
 */
export function taskStateLocation(taskJobDir: string, checkpointId: number, name: string): { location: string; handle: string } {
  const entropy = entropyOf(taskJobDir, fileSystemConfig());
  if (entropy && taskJobDir.includes(entropy.key)) {
    const location = joinPath(injectEntropy(taskJobDir, entropy), checkpointDirName(checkpointId), name);
    return { location, handle: location };
  }
  return { location: joinPath(taskJobDir, checkpointDirName(checkpointId), name), handle: name };
}

/** The job directory without the entropy key (where _metadata and shared files are). */
export function jobDirWithoutEntropy(taskJobDir: string): string {
  return removeEntropy(taskJobDir, entropyOf(taskJobDir, fileSystemConfig()));
}
