/**
 * Failover of a job (Flink's FailoverStrategy with its RestartBackoffTimeStrategy): whether a
 * failure restarts the job and after how long, and the timer of the restart under way.
 */
import type { SerializedError } from '../../errors.js';
import type { Clock } from '../clock.js';
import type { RestartStrategy } from './restart-strategy.js';

export class Failover {
  private cancelRestart: (() => void) | undefined;

  constructor(
    private readonly strategy: RestartStrategy,
    private readonly clock: Clock,
  ) {}

  /** A restart is scheduled and has not run yet. */
  get restartPending(): boolean {
    return this.cancelRestart !== undefined;
  }

  /**
   * The delay before restarting after `error`, or undefined to fail the job. A program that replays
   * differently, or state the job cannot take (restored state of another kind), fails the same way
   * on every attempt: no restart.
   */
  restartDelay(error: SerializedError, restartable: boolean): number | undefined {
    const fatal = error.code === 'WEIR_NONDETERMINISTIC_PROGRAM' || error.code === 'WEIR_SAVEPOINT';
    return restartable && !fatal ? this.strategy.onFailure(this.clock.now()) : undefined;
  }

  scheduleRestart(delay: number, restart: () => void): void {
    this.cancel();
    this.cancelRestart = this.clock.setTimer(delay, () => {
      this.cancelRestart = undefined;
      restart();
    });
  }

  cancel(): void {
    this.cancelRestart?.();
    this.cancelRestart = undefined;
  }
}
