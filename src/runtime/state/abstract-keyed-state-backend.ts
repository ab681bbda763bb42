/**
 * What every keyed state backend does the same way (Flink's AbstractKeyedStateBackend): the current
 * key and its key group, the registry of states by name (a kind per name, checked against restored
 * state) and the state objects handed out. A backend supplies its tables (state-objects.ts).
 */
import { WeirError } from '../../errors.js';
import { assignToKeyGroup, normalizeKey } from '../../graph/key-groups.js';
import type { State, StateDescriptor, StateKind } from '../../api/state.js';
import { stateKindMismatch, type NamespacedState, type NormalizedKey } from './keyed-state-backend.js';
import { createNamespacedState, createState, type StateTable } from './state-objects.js';
import { TtlCleanup } from './ttl-cleanup.js';

export interface BackendIdentity {
  maxParallelism: number;
  operatorName?: string;
  /** The operator's uid(), named in errors about restored state. */
  operatorUid?: string;
}

export abstract class AbstractKeyedStateBackend<T extends StateTable> {
  readonly maxParallelism: number;
  protected readonly operatorName: string | undefined;
  protected readonly operatorUid: string | undefined;
  protected readonly tables = new Map<string, T>();
  /** States bound to the VOID namespace, one per name, so repeated getState() calls are cheap. */
  private readonly voidStates = new Map<string, State>();

  /** @internal read by the tables on every access. */
  hasKey = false;
  protected currentKey: unknown = undefined;
  /** @internal the normalised current key. */
  nk: NormalizedKey = undefined;
  private keyGroup = -1;
  /** States with a time-to-live: their full-snapshot filters and incremental cleanup. */
  readonly ttl = new TtlCleanup(this);

  constructor(opts: BackendIdentity, maxAllowed = Number.POSITIVE_INFINITY) {
    if (!Number.isInteger(opts.maxParallelism) || opts.maxParallelism <= 0 || opts.maxParallelism > maxAllowed) {
      throw new WeirError(
        'WEIR_INTERNAL',
        maxAllowed === Number.POSITIVE_INFINITY
          ? `maxParallelism must be a positive integer, got ${opts.maxParallelism}`
          : `maxParallelism must be an integer in [1, ${maxAllowed}], got ${opts.maxParallelism}`,
      );
    }
    this.maxParallelism = opts.maxParallelism;
    this.operatorName = opts.operatorName;
    this.operatorUid = opts.operatorUid;
  }

  /** A new, empty table for a state registered (or restored) under `name`. */
  protected abstract newTable(name: string, kind: StateKind): T;

  /** All keys that have state under `stateName` in `namespace`. */
  abstract getKeys(stateName: string, namespace?: string): unknown[];

  /** A state of `t` is used with namespaces other than VOID. */
  protected onPartitioned(_t: T): void {}

  setCurrentKey(key: unknown): void {
    this.currentKey = key;
    this.nk = normalizeKey(key);
    this.keyGroup = -1;
    this.hasKey = true;
    if (this.ttl.everyRecord) this.ttl.onRecord();
  }

  getCurrentKey(): unknown {
    return this.currentKey;
  }

  /** The normalised current key (what timers deduplicate on), without normalising again. */
  getCurrentNormalizedKey(): NormalizedKey {
    return this.nk;
  }

  getCurrentKeyGroup(): number {
    if (!this.hasKey) throw this.noKeyError('the key group');
    if (this.keyGroup < 0) this.keyGroup = assignToKeyGroup(this.nk, this.maxParallelism);
    return this.keyGroup;
  }

  getState<S extends State>(descriptor: StateDescriptor<S>): S {
    const cached = this.voidStates.get(descriptor.name);
    if (cached !== undefined) {
      // checks the kind, picks up a newer descriptor (TTL states keep their stamped one)
      if (!descriptor.ttlConfig) this.table(descriptor);
      return cached as S;
    }
    const s = descriptor.ttlConfig
      ? this.ttl.createState(descriptor, descriptor.ttlConfig, (inner) => createState(this.table(inner)))
      : createState(this.table(descriptor));
    this.voidStates.set(descriptor.name, s);
    return s as unknown as S;
  }

  getPartitionedState<S extends State>(descriptor: StateDescriptor<S>): NamespacedState<S> {
    const t = this.table(descriptor);
    this.onPartitioned(t);
    return createNamespacedState<S>(t);
  }

  /** Forgets every state and the current key. */
  protected resetStates(): void {
    this.tables.clear();
    this.voidStates.clear();
    this.hasKey = false;
    this.currentKey = undefined;
    this.nk = undefined;
  }

  /** The table of `name`, created when new; a restore may create it but not change its kind. */
  protected tableFor(name: string, kind: StateKind, restoring = false): T {
    let t = this.tables.get(name);
    if (t === undefined) {
      t = this.newTable(name, kind);
      this.tables.set(name, t);
    } else if (t.kind !== kind) {
      throw stateKindMismatch(name, restoring ? kind : t.kind, restoring ? t.kind : kind, restoring || t.restored, {
        name: this.operatorName,
        uid: this.operatorUid,
      });
    }
    if (restoring) t.restored = true;
    return t;
  }

  private table(d: StateDescriptor): T {
    const t = this.tableFor(d.name, d.kind);
    t.bind(d);
    return t;
  }

  protected context(): { operator?: string } {
    return this.operatorName !== undefined ? { operator: this.operatorName } : {};
  }

  /** @internal */
  noKeyError(what: string): WeirError {
    return new WeirError(
      'WEIR_STATE_ACCESS',
      `Keyed state needs a keyed stream: ${what} was used where there is no current key. Call keyBy() before the operator that uses state or timers.`,
      this.context(),
    );
  }
}
