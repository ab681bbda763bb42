/**
 * Keyed state storage for one operator in one subtask (Flink's KeyedStateBackend). Every state
 * access is for the current key (set by the task before a record or timer is processed) and the
 * current namespace (VOID_NAMESPACE unless a window operator sets one). Keys are normalised with
 * `normalizeKey` so that equal keys (including equal objects) share state.
 */
import { WeirError } from '../../errors.js';
import type { StateDescriptor, State, StateKind } from '../../api/state.js';
import type { normalizeKey } from '../../graph/key-groups.js';

export const VOID_NAMESPACE = '';

export type NormalizedKey = ReturnType<typeof normalizeKey>;

/** Inclusive range of key groups, as keyGroupRangeForSubtask returns. */
export interface KeyGroupRange {
  start: number;
  end: number;
}

/**
 * One entry of a canonical snapshot. `value` is plain data: a list is an array, a map is an array
 * of [key, value] pairs, reducing/aggregating hold the reduced value / the accumulator.
 */
export type HeapStateEntry = [keyGroup: number, key: unknown, namespace: string, value: unknown];

/**
 * The canonical snapshot format (savepoints), the same for every backend: a savepoint taken with
 * one restores on the other. Values may be shared with the live state: serialize at once.
 */
export interface HeapStateSnapshot {
  states: { name: string; kind: StateKind; entries: HeapStateEntry[] }[];
}

export interface KeyedStateBackend {
  readonly maxParallelism: number;
  setCurrentKey(key: unknown): void;
  getCurrentKey(): unknown;
  /** The key group (0 ≤ g < maxParallelism) of the current key. */
  getCurrentKeyGroup(): number;
  /** State for `descriptor` bound to the current key and the VOID namespace. */
  getState<S extends State>(descriptor: StateDescriptor<S>): S;
  /** State whose namespace the caller switches with `setNamespace` (window operators). */
  getPartitionedState<S extends State>(descriptor: StateDescriptor<S>): NamespacedState<S>;
  /** All keys that have state under `stateName` in `namespace`. */
  getKeys(stateName: string, namespace?: string): unknown[];
  /**
   * Backends that load state ahead (lsm) list keys asynchronously: `fn` gets them in batches whose
   * state is loaded. Without it, use getKeys().
   */
  forEachKeyBatch?(stateName: string, namespace: string, batchSize: number, fn: (keys: unknown[]) => void): Promise<void>;
  /** Number of (key, namespace) entries over all states; for metrics and tests. */
  numEntries(): number;
  /**
   * Backends that keep state outside the heap (lsm) load the state of `keys` ahead: the task awaits
   * it before it processes their records or fires their timers, so state access stays synchronous.
   */
  prefetch?(keys: Iterable<unknown>): Promise<void>;
  /** Resolves once the backend can be used; the task awaits it before restoring and processing. */
  open?(): Promise<void>;
  /**
   * Restores what a checkpoint or savepoint assigned this subtask (entries and, from lsm
   * incremental checkpoints, shared files), keeping the key groups in `request.range`. Before
   * processing starts.
   */
  restoreState(parts: readonly RestoredKeyedState[], request: RestoreRequest): Promise<void>;
  /**
   * This backend's part of checkpoint or savepoint `request.checkpointId`: the state as of the call
   * (taken between two records), encoded and written later.
   */
  snapshot(request: SnapshotRequest): KeyedStateBackendSnapshot;
  /** Checkpoint `checkpointId` completed: the files it refers to may be shared by the next ones. */
  notifyCheckpointComplete(checkpointId: number): void;
  /** Checkpoint `checkpointId` was aborted: what it wrote for this backend alone may go. */
  notifyCheckpointAborted(checkpointId: number): void;
  dispose(): void | Promise<void>;
}

export interface SnapshotRequest {
  checkpointId: number;
  /** A savepoint: canonical entries, restorable on every backend, whatever the configuration. */
  savepoint: boolean;
  /** The job's directory of files checkpoints share (incremental checkpoints upload there). */
  sharedDir: string | undefined;
}

/** Files of a checkpoint in the job's shared directory. */
export interface SharedStateFiles {
  /** Every file the checkpoint refers to. */
  files: string[];
  /** The files this checkpoint uploaded (the others were uploaded by an earlier checkpoint). */
  uploaded: string[];
  uploadedBytes: number;
  totalBytes: number;
}

/** The state of a backend as of a snapshot() call, encoded (and uploaded) asynchronously. */
export interface KeyedStateBackendSnapshot {
  /** No entry at all at the call: a checkpoint then needs a keyed part only for timers. */
  readonly empty: boolean;
  /** The keyed part of the subtask's state file: this state and `timerBytes`, the packed timers. */
  data(timerBytes: Uint8Array): Promise<Uint8Array>;
  /** The files in the shared directory the keyed part refers to (incremental checkpoints). */
  readonly shared?: Promise<SharedStateFiles>;
}

/** One keyed part of a checkpoint as restored: canonical entries, or an lsm incremental checkpoint's files. */
export interface RestoredKeyedState {
  states: HeapStateSnapshot['states'];
  /** files[0] is the checkpoint's descriptor, in the shared directory. */
  lsm?: { files: string[] };
}

export interface RestoreRequest {
  range: KeyGroupRange;
  /** Where the shared files of the restored checkpoint are. */
  sharedDir: string;
  /** `sharedDir` is this job's own: its files may be referred to by this job's next checkpoints. */
  ownSharedDir: boolean;
}

export interface NamespacedState<S extends State> {
  readonly state: S;
  setNamespace(namespace: string): void;
  /** Moves the values of `sources` namespaces into the current one (merging session windows). */
  mergeNamespaces?(target: string, sources: string[]): void;
  /** The stored value of the current namespace as is (an aggregating state's accumulator; Flink's getInternal). */
  getInternal?(): unknown;
}

/** Names an operator in errors: its uid when it has one (what savepoints match operators by). */
export function describeOperator(name: string | undefined, uid: string | undefined): string {
  if (uid !== undefined) return `operator uid '${uid}'${name !== undefined ? ` ('${name}')` : ''}`;
  return name !== undefined ? `operator '${name}' (no uid)` : 'the operator';
}

/**
 * A state used with another kind than it has. When the existing kind came from a restored
 * savepoint or checkpoint, the job is not compatible with that state: WEIR_SAVEPOINT, naming the
 * operator, the state and both kinds (as Flink fails when a state's descriptor changed kind).
 */
export function stateKindMismatch(
  stateName: string,
  existing: StateKind,
  requested: StateKind,
  restored: boolean,
  operator: { name?: string | undefined; uid?: string | undefined },
): WeirError {
  const context = operator.name !== undefined ? { operator: operator.name } : {};
  if (restored) {
    return new WeirError(
      'WEIR_SAVEPOINT',
      `Cannot restore state '${stateName}' of ${describeOperator(operator.name, operator.uid)}: the savepoint or checkpoint holds it as ${existing} state, but the job uses it as ${requested} state. Keep the kind of a state across versions of a job, or give the new state another name.`,
      context,
    );
  }
  return new WeirError(
    'WEIR_STATE_ACCESS',
    `State '${stateName}' is a ${existing} state and cannot be used as a ${requested} state: give each state its own name.`,
    context,
  );
}
