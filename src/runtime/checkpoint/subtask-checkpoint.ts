/**
 * A subtask's part of checkpoints (Flink's SubtaskCheckpointCoordinatorImpl + AsyncCheckpointRunnable,
 * and StreamTaskStateInitializer for the way back). The synchronous part runs in the task's mailbox
 * between two records: every operator's state is serialised (keyed backends take their own
 * snapshot; values are shared with the live state), then the barrier goes downstream behind every
 * record emitted before it. The asynchronous part finishes what operators still prepare, writes
 * the subtask's state file and acknowledges (or declines). A restored task gets its state back
 * before its operators open.
 */
import { joinPath, parentPath } from '../../fs/index.js';
import { performance } from 'node:perf_hooks';
import { keyGroupRangeForSubtask } from '../../graph/key-groups.js';
import type { JobVertex } from '../../graph/job-graph.js';
import type { StreamGraph } from '../../graph/stream-graph.js';
import type { ResultPartition } from '../network/result-partition.js';
import type { StreamOperator } from '../operators/operator.js';
import type { KeyedStateBackend, SharedStateFiles } from '../state/keyed-state-backend.js';
import type { HeapTimerServiceManager } from '../operators/heap-timer-service.js';
import type { SubtaskCheckpointMetrics, SubtaskStateHandle, TaskRestore } from '../rpc/messages.js';
import type { Barrier } from './barrier-aligner.js';
import { assignOperatorState, type AssignedOperatorState } from './state-assignment.js';
import {
  SHARED_DIR,
  packState,
  readSubtaskState,
  sharedDirOf,
  stateFileName,
  subtaskStateFile,
  writeSubtaskState,
  taskStateLocation,
  jobDirWithoutEntropy,
  type KeyedStateSnapshot,
  type OperatorSubtaskState,
  type SubtaskStateFile,
} from './storage.js';

/** What of the operator chain a checkpoint reads and a restore fills. */
export interface CheckpointedChain {
  readonly operators: readonly StreamOperator[];
  readonly opNames: readonly string[];
  readonly keyedByOp: ReadonlyMap<string, { readonly backend: KeyedStateBackend; readonly timers: HeapTimerServiceManager }>;
  /** Runs operator code; failures are tagged with the chain's i-th operator. */
  call<T>(i: number, fn: () => T): T;
}

/** Where the subtask's checkpoints go, and the way back to the coordinator. */
export interface SubtaskCheckpointContext {
  readonly vertex: JobVertex;
  readonly subtask: number;
  readonly attempt: number;
  /** The job's checkpoint directory (undefined: the job takes no checkpoints, only commits are tracked). */
  readonly jobDir: string | undefined;
  acknowledge(checkpointId: number, handle: SubtaskStateHandle, metrics: SubtaskCheckpointMetrics): void;
  decline(checkpointId: number, reason: string): void;
  /** The task was canceled: a late result is not reported. */
  isCanceled(): boolean;
  /** Tracked work finished: wake the task. */
  notify(): void;
  /** Tracked work failed: the task fails with `e` (thrown from a mail). */
  fail(e: unknown, operatorName: string): void;
}

/** The synchronous part of one operator's snapshot: state serialised, or still to come (promises). */
interface OperatorSnapshotPart {
  keyed?: Omit<KeyedStateSnapshot, 'data'> & { data: Uint8Array | Promise<Uint8Array> };
  lists?: Record<string, { mode: 'split' | 'union'; data: Uint8Array | Promise<unknown[]> }>;
  /** An incremental checkpoint's upload to the shared directory. */
  shared?: Promise<SharedStateFiles>;
}

export class SubtaskCheckpoint {
  /** Asynchronous checkpoint work (state writes, commits) still running. */
  private readonly asyncWork = new Set<Promise<unknown>>();

  constructor(
    private readonly ctx: SubtaskCheckpointContext,
    private readonly chain: CheckpointedChain,
    private readonly partition: ResultPartition,
  ) {}

  /** Asynchronous work still running: the task ends only once there is none. */
  get pendingWork(): number {
    return this.asyncWork.size;
  }

  /**
   * The synchronous part of checkpoint `b` (in the mailbox, between two records); the barrier is
   * forwarded and the asynchronous part started. False when the snapshot failed and the
   * checkpoint was declined (not forwarded: downstream alignments are released when the
   * coordinator aborts it).
   */
  checkpointState(b: Barrier, alignmentMs: number): boolean {
    const t0 = performance.now();
    let parts: Record<string, OperatorSnapshotPart>;
    try {
      parts = this.snapshotChain(b.id, b.savepoint === true);
    } catch (e) {
      this.ctx.decline(b.id, describe(e));
      return false;
    }
    const forward: Barrier = { t: 'barrier', id: b.id, timestamp: b.timestamp, mode: b.mode };
    if (b.savepoint) forward.savepoint = true;
    if (b.stop) forward.stop = true;
    this.partition.broadcastEvent(forward);
    const syncMs = performance.now() - t0;
    this.track(this.persistSnapshot(b.id, parts, syncMs, alignmentMs), this.ctx.vertex.name);
    return true;
  }

  /** Checkpoint `checkpointId` completed everywhere: backends and operators are told (sinks commit; their commits are tracked). */
  notifyComplete(checkpointId: number): void {
    const chain = this.chain;
    for (const k of chain.keyedByOp.values()) k.backend.notifyCheckpointComplete(checkpointId);
    for (let i = 0; i < chain.operators.length; i++) {
      const op = chain.operators[i]!;
      if (!op.notifyCheckpointComplete) continue;
      const r = chain.call(i, () => op.notifyCheckpointComplete!(checkpointId));
      if (r instanceof Promise) this.track(r, chain.opNames[i]!);
    }
  }

  /** The coordinator aborted checkpoint `checkpointId`: backends and operators are told. */
  notifyAborted(checkpointId: number): void {
    const chain = this.chain;
    for (const k of chain.keyedByOp.values()) k.backend.notifyCheckpointAborted(checkpointId);
    for (let i = 0; i < chain.operators.length; i++) chain.call(i, () => chain.operators[i]!.notifyCheckpointAborted?.(checkpointId));
  }

  /** Keeps asynchronous work in view: the task ends only once it is done; a failure fails the task. */
  track(p: Promise<unknown>, operatorName: string): void {
    this.asyncWork.add(p);
    p.then(
      () => {
        this.asyncWork.delete(p);
        this.ctx.notify();
      },
      (e: unknown) => {
        this.asyncWork.delete(p);
        this.ctx.fail(e, operatorName);
      },
    );
  }

  /** Each keyed backend takes its part (savepoints are canonical whatever the backend); timers are serialised now. */
  private snapshotChain(checkpointId: number, savepoint: boolean): Record<string, OperatorSnapshotPart> {
    const parts: Record<string, OperatorSnapshotPart> = {};
    const { vertex, subtask } = this.ctx;
    const ops = vertex.operators;
    const sharedDir = this.ctx.jobDir !== undefined ? joinPath(jobDirWithoutEntropy(this.ctx.jobDir), SHARED_DIR) : undefined;
    for (let i = 0; i < ops.length; i++) {
      const jo = ops[i]!;
      const part: OperatorSnapshotPart = {};
      const keyed = this.chain.keyedByOp.get(jo.id);
      if (keyed) {
        const maxParallelism = keyed.backend.maxParallelism;
        const keyGroupRange = keyGroupRangeForSubtask(maxParallelism, vertex.parallelism, subtask);
        const snapshot = keyed.backend.snapshot({ checkpointId, savepoint, sharedDir });
        const timers = keyed.timers.snapshot();
        if (!snapshot.empty || timers.services.length > 0) {
          const data = snapshot.data(packState(timers));
          data.catch(() => undefined); // awaited (and its failure reported) by the asynchronous part
          part.keyed = { maxParallelism, keyGroupRange, data };
        }
        if (snapshot.shared) part.shared = snapshot.shared;
      }
      this.snapshotOperatorLists(i, checkpointId, part);
      if (part.keyed || part.lists) parts[jo.id] = part;
    }
    return parts;
  }

  /** The operator state (named lists) of the chain's i-th operator, into `part`. */
  private snapshotOperatorLists(i: number, checkpointId: number, part: OperatorSnapshotPart): void {
    const op = this.chain.operators[i]!;
    const snap = op.snapshotState ? this.chain.call(i, () => op.snapshotState!(checkpointId)) : undefined;
    if (!snap) return;
    const lists: NonNullable<OperatorSnapshotPart['lists']> = {};
    for (const [name, l] of Object.entries(snap)) {
      if (!Array.isArray(l.items)) l.items.catch(() => undefined); // awaited by the asynchronous part
      lists[name] = { mode: l.mode, data: Array.isArray(l.items) ? packState(l.items) : l.items };
    }
    if (Object.keys(lists).length > 0) part.lists = lists;
  }

  /** The asynchronous part: finishes what operators still prepare, writes the state file, acknowledges (or declines). */
  private async persistSnapshot(
    checkpointId: number,
    parts: Record<string, OperatorSnapshotPart>,
    syncMs: number,
    alignmentMs: number,
  ): Promise<void> {
    const t0 = performance.now();
    const { id: vertexId } = this.ctx.vertex;
    const subtask = this.ctx.subtask;
    try {
      const operators: Record<string, OperatorSubtaskState> = {};
      for (const [opId, part] of Object.entries(parts)) {
        const entry: OperatorSubtaskState = {};
        if (part.keyed) entry.keyed = { ...part.keyed, data: await part.keyed.data };
        if (part.lists) {
          entry.lists = {};
          for (const [name, l] of Object.entries(part.lists)) {
            entry.lists[name] = { mode: l.mode, data: l.data instanceof Uint8Array ? l.data : packState(await l.data) };
          }
        }
        operators[opId] = entry;
      }
      const shared: string[] = [];
      let sharedBytes = 0;
      let uploadedBytes = 0;
      for (const part of Object.values(parts)) {
        if (!part.shared) continue;
        const r = await part.shared;
        for (const f of r.files) shared.push(f);
        sharedBytes += r.totalBytes;
        uploadedBytes += r.uploadedBytes;
      }
      let handle: SubtaskStateHandle = { file: null, size: 0 };
      if (Object.keys(operators).length > 0) {
        const bytes = packState(subtaskStateFile(checkpointId, vertexId, subtask, operators));
        const name = stateFileName(vertexId, subtask, this.ctx.attempt);
        const { location, handle: file } = taskStateLocation(this.ctx.jobDir!, checkpointId, name);
        await writeSubtaskState(parentPath(location), name, bytes);
        handle = { file, size: bytes.byteLength };
        if (shared.length > 0) Object.assign(handle, { shared, sharedBytes, uploadedBytes });
      }
      if (this.ctx.isCanceled()) return;
      this.ctx.acknowledge(checkpointId, handle, {
        syncMs: Math.round(syncMs),
        asyncMs: Math.round(performance.now() - t0),
        alignmentMs,
      });
    } catch (e) {
      if (!this.ctx.isCanceled()) this.ctx.decline(checkpointId, describe(e));
    }
  }
}

// ---------------------------------------------------------------- restore

/** Reads, per operator of the vertex, its share of the checkpoint restored from (none on a fresh start). */
export async function assignState(
  vertex: JobVertex,
  subtask: number,
  streamGraph: StreamGraph,
  restore: TaskRestore | undefined,
): Promise<Map<string, AssignedOperatorState>> {
  const out = new Map<string, AssignedOperatorState>();
  if (!restore) return out;
  const files = new Map<string, Promise<SubtaskStateFile>>();
  const read = (f: string): Promise<SubtaskStateFile> => {
    let p = files.get(f);
    if (!p) files.set(f, (p = readSubtaskState(f)));
    return p;
  };
  for (const jo of vertex.operators) {
    const r = restore.operators[jo.id];
    if (!r) continue;
    const maxParallelism = streamGraph.node(jo.id).maxParallelism;
    out.set(jo.id, await assignOperatorState(jo.id, jo.name, r, subtask, vertex.parallelism, maxParallelism, read));
  }
  return out;
}

/**
 * Opens every keyed backend and restores keyed state (the backend reads what its checkpoint
 * format needs) and timers, before the operators are built. `jobDir` is this job's checkpoint
 * directory (undefined without checkpointing): shared files under it are this job's own.
 */
export async function restoreKeyedState(
  chain: Pick<CheckpointedChain, 'keyedByOp'>,
  restore: TaskRestore | undefined,
  assigned: Map<string, AssignedOperatorState>,
  jobDir: string | undefined,
): Promise<void> {
  for (const [opId, k] of chain.keyedByOp) {
    await k.backend.open?.();
    const a = assigned.get(opId);
    if (!restore || !a) continue;
    const range = a.keyGroupRange;
    const sharedDir = sharedDirOf(restore.dir);
    const ownSharedDir = jobDir !== undefined && sharedDir === joinPath(jobDirWithoutEntropy(jobDir), SHARED_DIR);
    await k.backend.restoreState(a.keyed, { range, sharedDir, ownSharedDir });
    for (const part of a.keyed) k.timers.restore(part.timers, range);
  }
}

/** Gives each operator its restored operator state (or tells it that it starts fresh), before any operator opens. */
export async function initializeOperatorState(
  chain: CheckpointedChain,
  vertex: JobVertex,
  restore: TaskRestore | undefined,
  assigned: Map<string, AssignedOperatorState>,
): Promise<void> {
  const ops = vertex.operators;
  for (let i = 0; i < ops.length; i++) {
    const op = chain.operators[i]!;
    if (!op.initializeState) continue;
    const a = assigned.get(ops[i]!.id);
    if (!restore || !a) {
      await chain.call(i, () => op.initializeState!(undefined));
      continue;
    }
    const checkpointId = restore.checkpointId;
    await chain.call(i, () => op.initializeState!({ checkpointId, get: (name) => a.lists.get(name) }));
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
