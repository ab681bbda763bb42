/** Shared machinery of Weir's connectors (Flink's flink-connector-base). */
export { AvailabilitySignal } from './availability.js';
export { DEFAULT_BATCH_SIZE, SplitAssignments, StaticSplitEnumerator, SyncSplitReader, type StaticEnumState } from './split-reader.js';
export { SplitOutputs } from './split-outputs.js';
export { named } from './named.js';
export { restoredWriterStates, type RestoredWriterStates, type SubtaskWriterState } from './writer-state.js';
