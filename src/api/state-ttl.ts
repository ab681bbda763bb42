/**
 * State time-to-live (Flink's StateTtlConfig): a state whose descriptor has
 * `enableTimeToLive(config)` keeps, with each value (each list element, each map entry), the time
 * it was last written (or read, with OnReadAndWrite); a value older than the TTL is expired. Expired
 * values are not returned (NeverReturnExpired) or returned until cleaned up
 * (ReturnExpiredIfNotCleanedUp), and are removed when read, left out of full snapshots
 * (cleanupFullSnapshot), and removed a few entries at a time as state is used (cleanupIncrementally,
 * heap backend, as in Flink), and dropped when the lsm backend compacts (cleanupInRocksdbCompactFilter). Time is processing time; a time provider can replace the clock.
 */
import { WeirError } from '../errors.js';
import { toMillis, type Duration } from './time.js';

export type TtlUpdateType = 'OnCreateAndWrite' | 'OnReadAndWrite' | 'Disabled';
export type TtlStateVisibility = 'NeverReturnExpired' | 'ReturnExpiredIfNotCleanedUp';

export interface TtlCleanupStrategies {
  fullSnapshot: boolean;
  /** Checks `cleanupSize` entries on every state access (and after every record when `runCleanupForEveryRecord`). */
  incremental: { cleanupSize: number; runCleanupForEveryRecord: boolean } | undefined;
  /** lsm backend: expired values are dropped when the backend compacts; the clock is read again after this many entries. */
  compactionFilter: { queryTimeAfterNumEntries: number } | undefined;
}

/** A clock in ms; StateTtlConfig.Builder.setTtlTimeProvider replaces Date.now (tests). */
export type TtlTimeProvider = () => number;

export class StateTtlConfig {
  static readonly UpdateType = { OnCreateAndWrite: 'OnCreateAndWrite', OnReadAndWrite: 'OnReadAndWrite', Disabled: 'Disabled' } as const;
  static readonly StateVisibility = {
    NeverReturnExpired: 'NeverReturnExpired',
    ReturnExpiredIfNotCleanedUp: 'ReturnExpiredIfNotCleanedUp',
  } as const;
  static readonly TtlTimeCharacteristic = { ProcessingTime: 'ProcessingTime' } as const;

  constructor(
    readonly ttl: number,
    readonly updateType: TtlUpdateType,
    readonly stateVisibility: TtlStateVisibility,
    readonly cleanupStrategies: TtlCleanupStrategies,
    readonly timeProvider: TtlTimeProvider,
  ) {}

  static newBuilder(ttl: Duration): StateTtlConfigBuilder {
    return new StateTtlConfigBuilder(ttl);
  }

  isEnabled(): boolean {
    return this.updateType !== 'Disabled';
  }
  getTtl(): number {
    return this.ttl;
  }
  getUpdateType(): TtlUpdateType {
    return this.updateType;
  }
  getStateVisibility(): TtlStateVisibility {
    return this.stateVisibility;
  }
  getCleanupStrategies(): TtlCleanupStrategies {
    return this.cleanupStrategies;
  }
}

export class StateTtlConfigBuilder {
  private ttl: number;
  private updateType: TtlUpdateType = 'OnCreateAndWrite';
  private visibility: TtlStateVisibility = 'NeverReturnExpired';
  private fullSnapshot = false;
  private incremental: TtlCleanupStrategies['incremental'] = undefined;
  private compactionFilter: TtlCleanupStrategies['compactionFilter'] = undefined;
  private timeProvider: TtlTimeProvider = Date.now;

  constructor(ttl: Duration) {
    this.ttl = checkTtl(ttl);
  }
  setTtl(ttl: Duration): this {
    this.ttl = checkTtl(ttl);
    return this;
  }
  setUpdateType(updateType: TtlUpdateType): this {
    if (!['OnCreateAndWrite', 'OnReadAndWrite', 'Disabled'].includes(updateType))
      throw new WeirError('WEIR_BAD_PIPELINE', `StateTtlConfig: unknown update type '${String(updateType)}'`);
    this.updateType = updateType;
    return this;
  }
  updateTtlOnCreateAndWrite(): this {
    return this.setUpdateType('OnCreateAndWrite');
  }
  updateTtlOnReadAndWrite(): this {
    return this.setUpdateType('OnReadAndWrite');
  }
  setStateVisibility(visibility: TtlStateVisibility): this {
    if (!['NeverReturnExpired', 'ReturnExpiredIfNotCleanedUp'].includes(visibility))
      throw new WeirError('WEIR_BAD_PIPELINE', `StateTtlConfig: unknown state visibility '${String(visibility)}'`);
    this.visibility = visibility;
    return this;
  }
  neverReturnExpired(): this {
    return this.setStateVisibility('NeverReturnExpired');
  }
  returnExpiredIfNotCleanedUp(): this {
    return this.setStateVisibility('ReturnExpiredIfNotCleanedUp');
  }
  /** Processing time is the only TTL time (as in Flink). */
  setTtlTimeCharacteristic(c: 'ProcessingTime'): this {
    if (c !== 'ProcessingTime') throw new WeirError('WEIR_BAD_PIPELINE', 'StateTtlConfig: only ProcessingTime is supported, as in Flink');
    return this;
  }
  /** Expired values are left out of full snapshots (savepoints; checkpoints of the hashmap backend and of lsm without incremental checkpoints). */
  cleanupFullSnapshot(): this {
    this.fullSnapshot = true;
    return this;
  }
  /** Every state access checks `cleanupSize` further entries of the state and removes the expired ones (heap backend). */
  cleanupIncrementally(cleanupSize: number, runCleanupForEveryRecord = false): this {
    if (!Number.isInteger(cleanupSize) || cleanupSize < 1)
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `StateTtlConfig: cleanupIncrementally needs a positive cleanup size, got ${String(cleanupSize)}`,
      );
    this.incremental = { cleanupSize, runCleanupForEveryRecord };
    return this;
  }
  /**
   * Flink's RocksDB compaction filter, for Weir's lsm backend: when the backend compacts its
   * LevelDB database, expired values of this state (whole entries, expired list elements and map
   * entries) are removed first, so they leave the table files. The clock is read once per
   * `queryTimeAfterNumEntries` entries checked (default 1000, as in Flink). No effect on the heap backend.
   */
  cleanupInRocksdbCompactFilter(queryTimeAfterNumEntries = 1000): this {
    if (!Number.isInteger(queryTimeAfterNumEntries) || queryTimeAfterNumEntries < 1)
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `StateTtlConfig: cleanupInRocksdbCompactFilter needs a positive queryTimeAfterNumEntries, got ${String(queryTimeAfterNumEntries)}`,
      );
    this.compactionFilter = { queryTimeAfterNumEntries };
    return this;
  }
  disableCleanupInBackground(): this {
    this.incremental = undefined;
    this.compactionFilter = undefined;
    return this;
  }
  /** The clock TTL uses (ms); Date.now by default. Tests make time pass with it. */
  setTtlTimeProvider(provider: TtlTimeProvider): this {
    if (typeof provider !== 'function')
      throw new WeirError('WEIR_BAD_PIPELINE', 'StateTtlConfig: the time provider must be a function returning ms');
    this.timeProvider = provider;
    return this;
  }
  build(): StateTtlConfig {
    return new StateTtlConfig(
      this.ttl,
      this.updateType,
      this.visibility,
      { fullSnapshot: this.fullSnapshot, incremental: this.incremental, compactionFilter: this.compactionFilter },
      this.timeProvider,
    );
  }
}

function checkTtl(ttl: Duration): number {
  const ms = toMillis(ttl, 'StateTtlConfig ttl');
  if (!(ms > 0)) throw new WeirError('WEIR_BAD_PIPELINE', `StateTtlConfig: the TTL must be > 0 ms, got ${String(ms)}`);
  return ms;
}
