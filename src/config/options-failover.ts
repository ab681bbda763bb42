/**
 * The options of failover: restart strategies (Flink's `restart-strategy.*` keys).
 * Kept beside the main table in options.ts, which spreads them in.
 */
import type { OptionSpec } from './options.js';

export const FAILOVER_OPTIONS = {
  'restart-strategy.type': {
    type: 'enum',
    values: ['none', 'disable', 'fixed-delay', 'failure-rate', 'exponential-delay'],
    defaultDescription: 'none without checkpointing, exponential-delay with it',
    description: 'How a failed job restarts: none/disable (fail at once), fixed-delay, failure-rate or exponential-delay.',
  },
  'restart-strategy.fixed-delay.attempts': {
    type: 'integer',
    default: 1,
    min: 0,
    description: 'Restarts before a job with the fixed-delay strategy fails.',
  },
  'restart-strategy.fixed-delay.delay': {
    type: 'duration',
    default: '1 s',
    description: 'Delay between two restarts of the fixed-delay strategy.',
  },
  'restart-strategy.failure-rate.max-failures-per-interval': {
    type: 'integer',
    default: 1,
    min: 1,
    description: 'Failures within one interval after which a job with the failure-rate strategy fails.',
  },
  'restart-strategy.failure-rate.failure-rate-interval': {
    type: 'duration',
    default: '1 min',
    min: 1,
    description: 'Interval over which the failure-rate strategy counts failures.',
  },
  'restart-strategy.failure-rate.delay': {
    type: 'duration',
    default: '1 s',
    description: 'Delay between two restarts of the failure-rate strategy.',
  },
  'restart-strategy.exponential-delay.initial-backoff': {
    type: 'duration',
    default: '1 s',
    description: 'First delay of the exponential-delay strategy.',
  },
  'restart-strategy.exponential-delay.max-backoff': {
    type: 'duration',
    default: '1 min',
    description: 'Largest delay of the exponential-delay strategy.',
  },
  'restart-strategy.exponential-delay.backoff-multiplier': {
    type: 'number',
    default: 1.5,
    min: 1,
    description: 'Factor applied to the delay after each failure.',
  },
  'restart-strategy.exponential-delay.reset-backoff-threshold': {
    type: 'duration',
    default: '1 h',
    description: 'Time the job must run without failure for the delay to go back to the initial backoff.',
  },
  'restart-strategy.exponential-delay.jitter-factor': {
    type: 'number',
    default: 0.1,
    min: 0,
    max: 1,
    description: 'Random fraction added to or removed from each delay, so restarts do not all happen at once.',
  },
  'restart-strategy.exponential-delay.attempts-before-reset-backoff': {
    type: 'integer',
    default: 2147483647,
    min: 0,
    description: 'Restarts before the job fails unless the backoff is reset.',
  },
} as const satisfies Record<string, OptionSpec>;
