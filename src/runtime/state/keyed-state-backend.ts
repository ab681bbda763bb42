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
  dispose(): void;
}

export interface NamespacedState<S extends State> {
  readonly state: S;
  setNamespace(namespace: string): void;
  /** Moves the values of `sources` namespaces into the current one (merging session windows). */
  mergeNamespaces?(target: string, sources: string[]): void;
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
