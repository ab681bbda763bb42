/**
 * Which part of a checkpoint each subtask restores (Flink's StateAssignmentOperation): the
 * JobMaster names, per operator of a vertex, the state files of every former subtask; the task keeps
 *
 * - keyed state and timers of the key groups in its range (keyGroupRangeForSubtask), read from the
 *   files whose former range overlaps it;
 * - `split` operator lists: its own former list when the parallelism is unchanged, else a round-robin
 *   share of all lists concatenated in subtask order;
 * - `union` operator lists: every former subtask's items.
 *
 * So a restore at another parallelism (rescaling) needs nothing else; the max parallelism of keyed
 * operators must stay the same, as in Flink.
 */
import { WeirError } from '../../errors.js';
import type { JobGraph, JobVertex } from '../../graph/job-graph.js';
import { keyGroupRangeForSubtask } from '../../graph/key-groups.js';
import type { HeapTimersSnapshot } from '../operators/heap-timer-service.js';
import type { HeapStateSnapshot } from '../state/heap-keyed-state-backend.js';
import type { OperatorRestore, TaskRestore } from '../rpc/messages.js';
import { stateFileLocation, unpackState, type LoadedCheckpoint, type SubtaskStateFile } from './storage.js';

/** The restore descriptor of one vertex's subtasks, or undefined when the checkpoint has no state for any of its operators. */
export function taskRestoreFor(cp: LoadedCheckpoint, vertex: JobVertex): TaskRestore | undefined {
  const operators: Record<string, OperatorRestore> = {};
  for (const jo of vertex.operators) {
    const m = cp.metadata.operators[jo.id];
    if (!m) continue;
    operators[jo.id] = {
      parallelism: m.parallelism,
      maxParallelism: m.maxParallelism,
      files: m.files.map((f) => (f === null ? null : stateFileLocation(cp.dir, f))),
    };
  }
  if (Object.keys(operators).length === 0) return undefined;
  return { checkpointId: cp.metadata.checkpointId, dir: cp.dir, operators };
}

export interface KeyedStatePart {
  /** Canonical entries (hashmap checkpoints, savepoints, lsm checkpoints without state.backend.incremental). */
  states: HeapStateSnapshot['states'];
  timers: HeapTimersSnapshot;
  /**
   * An lsm incremental checkpoint instead of entries: its files in the job's shared directory
   * (`<jobDir>/shared`), files[0] being the descriptor LsmKeyedStateBackend.restoreFromFiles takes.
   */
  lsm?: { files: string[] };
}

/** What one operator of one subtask gets back. */
export interface AssignedOperatorState {
  /** Keyed state parts to restore, each to be filtered by `keyGroupRange`. */
  keyed: KeyedStatePart[];
  keyGroupRange: { start: number; end: number };
  /** Operator lists by name. */
  lists: Map<string, unknown[]>;
}

export type StateFileReader = (file: string) => Promise<SubtaskStateFile>;

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export async function assignOperatorState(
  operatorId: string,
  operatorName: string,
  r: OperatorRestore,
  subtask: number,
  parallelism: number,
  maxParallelism: number,
  read: StateFileReader,
): Promise<AssignedOperatorState> {
  const myRange = keyGroupRangeForSubtask(maxParallelism, parallelism, subtask);
  const out: AssignedOperatorState = { keyed: [], keyGroupRange: myRange, lists: new Map() };
  const sameParallelism = r.parallelism === parallelism;
  const states: ({ index: number; s: NonNullable<SubtaskStateFile['operators'][string]> } | undefined)[] = [];
  // Read what may matter: at the same parallelism only this subtask's former file, unless it holds union lists.
  const load = async (i: number): Promise<void> => {
    const f = r.files[i];
    if (f === null || f === undefined || states[i] !== undefined) return;
    const s = (await read(f)).operators[operatorId];
    if (s) states[i] = { index: i, s };
  };
  if (sameParallelism) {
    await load(subtask);
    const own = states[subtask]?.s;
    if (own?.lists && Object.values(own.lists).some((l) => l.mode === 'union')) for (let i = 0; i < r.files.length; i++) await load(i);
  } else {
    for (let i = 0; i < r.files.length; i++) await load(i);
  }
  const present = states.filter((x): x is NonNullable<typeof x> => x !== undefined);

  // Keyed state: the parts whose former key-group range overlaps ours.
  for (const { index, s } of present) {
    if (!s.keyed) continue;
    if (s.keyed.maxParallelism !== maxParallelism) {
      throw new WeirError(
        'WEIR_CHECKPOINT',
        `cannot restore operator '${operatorName}': its max parallelism was ${s.keyed.maxParallelism} in checkpoint and is ${maxParallelism} now; keyed state can only be restored with the same max parallelism`,
      );
    }
    const former = s.keyed.keyGroupRange ?? keyGroupRangeForSubtask(r.maxParallelism, r.parallelism, index);
    if (!overlaps(former, myRange)) continue;
    out.keyed.push(unpackState<KeyedStatePart>(s.keyed.data));
  }

  // Operator lists.
  const split = new Map<string, unknown[][]>();
  for (const { index, s } of present) {
    for (const [name, l] of Object.entries(s.lists ?? {})) {
      const items = unpackState<unknown[]>(l.data);
      if (l.mode === 'union') {
        const acc = out.lists.get(name) ?? [];
        for (const it of items) acc.push(it);
        out.lists.set(name, acc);
      } else {
        if (!split.has(name)) split.set(name, []);
        split.get(name)![index] = items;
      }
    }
  }
  for (const [name, perSubtask] of split) {
    if (sameParallelism) {
      out.lists.set(name, perSubtask[subtask] ?? []);
    } else {
      const all = perSubtask.flatMap((x) => x ?? []);
      out.lists.set(
        name,
        all.filter((_, i) => i % parallelism === subtask),
      );
    }
  }
  return out;
}

/**
 * State of an operator the job does not have fails a restore (Flink's "non-restored state"), unless
 * `allowNonRestored` (execution.savepoint.ignore-unclaimed-state, `--allow-non-restored-state`).
 */
export function checkUnclaimedState(cp: LoadedCheckpoint, jobGraph: JobGraph, allowNonRestored: boolean): void {
  if (allowNonRestored) return;
  const ids = new Set(jobGraph.vertices.flatMap((v) => v.operators.map((o) => o.id)));
  const unclaimed = Object.entries(cp.metadata.operators).filter(
    ([id, m]) => !ids.has(id) && (m.files.some((f) => f !== null) || m.coordinator !== undefined),
  );
  if (unclaimed.length > 0) {
    const names = unclaimed.map(([id, m]) => (m.uid !== undefined ? `uid '${m.uid}' ('${m.name}', ${id})` : `'${m.name}' (${id}, no uid)`));
    throw new WeirError(
      'WEIR_SAVEPOINT',
      `cannot restore ${cp.dir}: it has state of operator ${names.join(', ')} that the job does not have. Give the operator the same uid() as before, or allow it to be dropped with --allow-non-restored-state (execution.savepoint.ignore-unclaimed-state: true)`,
    );
  }
}
