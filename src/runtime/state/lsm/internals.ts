/** What the snapshot modules of the lsm backend work on: its parts, as the backend holds them. */
import type { StateKind } from '../../../api/state.js';
import type { LsmCache } from './cache.js';
import type { LsmDatabase } from './database.js';
import type { LsmStateTable, LsmTables } from './tables.js';

export interface LsmInternals {
  readonly store: LsmDatabase;
  readonly cache: LsmCache;
  readonly tables: LsmTables;
  readonly maxParallelism: number;
  readonly context: { operator?: string };
  /** The table of a restored state (created, or checked against the registered kind). */
  restoredTable(name: string, kind: StateKind): LsmStateTable;
  /** Makes the tables of a database opened from a checkpoint the backend's tables. */
  adoptTables(tables: LsmStateTable[]): void;
  /** The TTL cleanupFullSnapshot filter of a state's exported values, if any (undefined result: expired). */
  ttlFilter(name: string): ((exported: unknown) => unknown) | undefined;
  /** After entries were written to LevelDB directly: the cache and key listings may be stale. */
  afterBulkLoad(): void;
}
