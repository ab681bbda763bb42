/**
 * The options of checkpoints, savepoints and state backends (Flink's `execution.checkpointing.*`, `state.*` keys).
 * Kept beside the main table in options.ts, which spreads them in.
 */
import type { OptionSpec } from './options.js';

export const CHECKPOINTING_OPTIONS = {
  'execution.checkpointing.interval': {
    type: 'duration',
    min: 1,
    defaultDescription: 'none: checkpointing disabled',
    description: 'Interval between two checkpoints; setting it enables checkpointing.',
  },
  'execution.checkpointing.mode': {
    type: 'enum',
    values: ['EXACTLY_ONCE', 'AT_LEAST_ONCE'],
    default: 'EXACTLY_ONCE',
    description: 'EXACTLY_ONCE aligns barriers at operators with several inputs; AT_LEAST_ONCE does not.',
  },
  'execution.checkpointing.timeout': {
    type: 'duration',
    default: '10 min',
    min: 1,
    description: 'Time after which a checkpoint in progress is aborted.',
  },
  'execution.checkpointing.min-pause': {
    type: 'duration',
    default: '0 ms',
    description: 'Least time between the end of one checkpoint and the start of the next.',
  },
  'execution.checkpointing.max-concurrent-checkpoints': {
    type: 'integer',
    default: 1,
    min: 1,
    description: 'Most checkpoints in progress at the same time.',
  },
  'execution.checkpointing.tolerable-failed-checkpoints': {
    type: 'integer',
    default: 0,
    min: 0,
    description: 'Consecutive checkpoint failures tolerated before the job fails over.',
  },
  'execution.checkpointing.num-retained': {
    type: 'integer',
    default: 1,
    min: 1,
    description: 'Completed checkpoints kept; older ones are deleted.',
  },
  'execution.checkpointing.externalized-checkpoint-retention': {
    type: 'enum',
    values: ['NO_EXTERNALIZED_CHECKPOINTS', 'DELETE_ON_CANCELLATION', 'RETAIN_ON_CANCELLATION'],
    default: 'NO_EXTERNALIZED_CHECKPOINTS',
    description: 'Whether the checkpoints of a job are kept after the job is cancelled.',
  },
  'execution.checkpointing.dir': {
    type: 'string',
    description: 'Where checkpoints are written: a directory or file:// / s3:// URI.',
  },
  'execution.checkpointing.savepoint-dir': {
    type: 'string',
    description: 'Default directory of savepoints when the command gives none.',
  },
  'state.backend.type': {
    type: 'enum',
    values: ['hashmap', 'lsm'],
    default: 'hashmap',
    description: 'Keyed state backend: hashmap (on the heap) or lsm (embedded LSM store, for state larger than memory).',
  },
  'state.backend.incremental': {
    type: 'boolean',
    default: false,
    description:
      'Whether the lsm backend writes incremental checkpoints (only the table files that are new since the last completed checkpoint); otherwise every checkpoint holds the whole state in the canonical format. Savepoints are always canonical.',
  },
  'state.backend.lsm.localdir': {
    type: 'string',
    description:
      "Where the lsm backend keeps its working databases on each TaskManager (one directory per keyed operator subtask, removed when the job's workers end). Default: <tmp>/weir-lsm.",
  },
} as const satisfies Record<string, OptionSpec>;
