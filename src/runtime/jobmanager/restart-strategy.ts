/**
 * Restart strategies with Flink's keys (restart-strategy.type: none, fixed-delay, failure-rate,
 * exponential-delay). A strategy is asked after each failure whether to restart and after how long.
 */
export interface RestartStrategy {
  /** Delay in ms before restarting, or undefined to give up. */
  onFailure(now: number): number | undefined;
  describe(): string;
}

export type ConfigGetter = (key: string) => unknown;

function num(get: ConfigGetter, key: string, dflt: number): number {
  const v = get(key);
  return v === undefined || v === null ? dflt : Number(v);
}

export function createRestartStrategy(get: ConfigGetter, checkpointingEnabled: boolean): RestartStrategy {
  let type = get('restart-strategy.type') as string | undefined;
  // Flink: without checkpointing the default is no restart; with it, exponential delay.
  if (type === undefined || type === null) type = checkpointingEnabled ? 'exponential-delay' : 'none';
  switch (type) {
    case 'none':
    case 'disable':
    case 'off':
      return { onFailure: () => undefined, describe: () => 'NoRestartStrategy' };
    case 'fixed-delay':
    case 'fixeddelay': {
      const attempts = num(get, 'restart-strategy.fixed-delay.attempts', 1);
      const delay = num(get, 'restart-strategy.fixed-delay.delay', 1000);
      let used = 0;
      return {
        onFailure: () => (used++ < attempts ? delay : undefined),
        describe: () => `FixedDelayRestartStrategy(maxNumberRestartAttempts=${attempts}, backoffTimeMS=${delay})`,
      };
    }
    case 'failure-rate':
    case 'failurerate': {
      const max = num(get, 'restart-strategy.failure-rate.max-failures-per-interval', 1);
      const interval = num(get, 'restart-strategy.failure-rate.failure-rate-interval', 60_000);
      const delay = num(get, 'restart-strategy.failure-rate.delay', 1000);
      const failures: number[] = [];
      return {
        onFailure: (now) => {
          failures.push(now);
          while (failures.length && failures[0]! <= now - interval) failures.shift();
          return failures.length > max ? undefined : delay;
        },
        describe: () => `FailureRateRestartStrategy(maxFailuresPerInterval=${max}, failureInterval=${interval}, backoffTimeMS=${delay})`,
      };
    }
    default: {
      const initial = num(get, 'restart-strategy.exponential-delay.initial-backoff', 1000);
      const maxBackoff = num(get, 'restart-strategy.exponential-delay.max-backoff', 60_000);
      const multiplier = num(get, 'restart-strategy.exponential-delay.backoff-multiplier', 1.5);
      const reset = num(get, 'restart-strategy.exponential-delay.reset-backoff-threshold', 3_600_000);
      const jitter = num(get, 'restart-strategy.exponential-delay.jitter-factor', 0.1);
      const attempts = num(get, 'restart-strategy.exponential-delay.attempts-before-reset-backoff', Number.MAX_SAFE_INTEGER);
      let current = initial;
      let last = 0;
      let count = 0;
      return {
        onFailure: (now) => {
          if (last && now - last >= reset) {
            current = initial;
            count = 0;
          }
          last = now;
          if (count++ >= attempts) return undefined;
          const d = current;
          current = Math.min(maxBackoff, current * multiplier);
          return Math.round(d * (1 + (Math.random() * 2 - 1) * jitter));
        },
        describe: () => `ExponentialDelayRestartStrategy(initialBackoff=${initial}, maxBackoff=${maxBackoff}, multiplier=${multiplier})`,
      };
    }
  }
}
