/**
 * Keyed state storage for one operator in one subtask (Flink's KeyedStateBackend). Every state
 * access is for the current key (set by the task before a record or timer is processed) and the
 * current namespace (VOID_NAMESPACE unless a window operator sets one). Keys are normalised with
 * `normalizeKey` so that equal keys (including equal objects) share state.
 */
import type { StateDescriptor, State } from '../../api/state.js';

export const VOID_NAMESPACE = '';

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
