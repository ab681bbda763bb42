/**
 * The TTL states of one backend: it creates them over stamped states (ttl-state.ts), filters
 * expired values out of full snapshots (cleanupFullSnapshot) and, on the heap backend, removes
 * expired values `cleanupSize` keys at a time as state is accessed, or after every record
 * (cleanupIncrementally). Backends that load state ahead (lsm) do not list keys synchronously, so
 * there, as for Flink's RocksDB backend, incremental cleanup does not apply; they drop expired
 * values when they compact instead (cleanupInRocksdbCompactFilter).
 */
import type { State, StateDescriptor } from '../../api/state.js';
import type { StateTtlConfig } from '../../api/state-ttl.js';
import { cleanupExpired, compactionFilter, createTtlState, snapshotFilter, ttlInnerDescriptor } from './ttl-state.js';

interface TtlBackend {
  getKeys(stateName: string): unknown[];
  setCurrentKey(key: unknown): void;
  getCurrentKey(): unknown;
  readonly hasKey: boolean;
  readonly prefetch?: unknown;
}

interface Incremental {
  name: string;
  kind: StateDescriptor['kind'];
  config: StateTtlConfig;
  inner: State;
  size: number;
  keys: unknown[];
  cursor: number;
}

export class TtlCleanup {
  /** cleanupFullSnapshot filters of exported values, by state name. */
  readonly filters = new Map<string, (exported: unknown) => unknown>();
  /** cleanupInRocksdbCompactFilter: a new filter for each compaction pass, by state name. */
  private readonly compactionFilters = new Map<string, () => (stored: unknown) => unknown>();
  private readonly incremental: Incremental[] = [];
  /** Some state cleans up after every record. */
  everyRecord = false;
  private running = false;

  constructor(private readonly backend: TtlBackend) {}

  createState(d: StateDescriptor, config: StateTtlConfig, stateOf: (inner: StateDescriptor) => State): State {
    const innerDescriptor = ttlInnerDescriptor(d, config.timeProvider);
    const inner = stateOf(innerDescriptor);
    const strategies = config.cleanupStrategies;
    if (strategies.fullSnapshot) this.filters.set(d.name, snapshotFilter(d.kind, config));
    if (strategies.compactionFilter) this.compactionFilters.set(d.name, () => compactionFilter(d.kind, config));
    let onAccess = (): void => {};
    if (strategies.incremental && this.backend.prefetch === undefined) {
      const inc: Incremental = { name: d.name, kind: d.kind, config, inner, size: strategies.incremental.cleanupSize, keys: [], cursor: 0 };
      this.incremental.push(inc);
      onAccess = () => this.step(inc);
      if (strategies.incremental.runCleanupForEveryRecord) this.everyRecord = true;
    }
    return createTtlState(d, inner, config, onAccess);
  }

  /** The filter of a state's exported snapshot values, if it cleans up in full snapshots. */
  filter(name: string): ((exported: unknown) => unknown) | undefined {
    return this.filters.get(name);
  }

  /** The filter of one compaction pass over a state's stored values (lsm backend), if the state installed one. */
  compactionFilter(name: string): ((stored: unknown) => unknown) | undefined {
    return this.compactionFilters.get(name)?.();
  }

  onRecord(): void {
    for (const inc of this.incremental) this.step(inc);
  }

  /** Checks the next `size` keys of the state (a new round lists the keys again). */
  private step(inc: Incremental): void {
    if (this.running) return;
    this.running = true;
    const b = this.backend;
    const hadKey = b.hasKey;
    const current = b.getCurrentKey();
    try {
      const now = inc.config.timeProvider();
      for (let n = 0; n < inc.size; n++) {
        if (inc.cursor >= inc.keys.length) {
          inc.keys = b.getKeys(inc.name);
          inc.cursor = 0;
          if (inc.keys.length === 0) break;
        }
        b.setCurrentKey(inc.keys[inc.cursor++]);
        cleanupExpired(inc.kind, inc.inner, inc.config, now);
      }
    } finally {
      if (hadKey) b.setCurrentKey(current);
      this.running = false;
    }
  }
}
