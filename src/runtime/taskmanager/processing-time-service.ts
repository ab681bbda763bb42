/**
 * Processing time for the operators of one task (Flink's SystemProcessingTimeService): wall-clock
 * timers whose callbacks run as mails of the task's mailbox, so that they never interleave with a
 * record. For a keyed backend that loads state ahead, a variant loads the keys of the due timers
 * before they fire. Shutting it down cancels every timer still armed.
 */
import type { HeapTimerServiceManager } from '../operators/heap-timer-service.js';
import type { ProcessingTimeService } from '../operators/operator.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { Mailbox } from './mailbox.js';

/** Keys whose state a prefetch loads at most, for timers (more are read as they fire). */
export const TIMER_PREFETCH_KEYS = 10_000;

export class SystemProcessingTimeService {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly mailbox: Mailbox) {}

  /** A processing-time service whose timers fire as mails. */
  service(): ProcessingTimeService {
    return {
      getCurrentProcessingTime: () => Date.now(),
      registerTimer: (time, callback) => {
        // A timer for T fires once T has fully passed (as Flink: delay + 1 ms), so a record
        // processed during millisecond T still belongs before the timer, never after it.
        let handle: NodeJS.Timeout;
        const arm = (): void => {
          handle = setTimeout(
            () => {
              this.timers.delete(handle);
              if (Date.now() <= time) arm();
              else this.mailbox.mail(() => callback(time));
            },
            Math.max(0, time - Date.now()) + 1,
          );
          this.timers.add(handle);
        };
        arm();
        return () => {
          clearTimeout(handle);
          this.timers.delete(handle);
        };
      },
    };
  }

  /** The processing-time service of a prefetching backend's timers: when the clock fires, the due timers' keys are loaded, then they fire (a later mail). */
  prefetching(backend: KeyedStateBackend, timers: () => HeapTimerServiceManager): ProcessingTimeService {
    const base = this.service();
    return {
      getCurrentProcessingTime: () => base.getCurrentProcessingTime(),
      registerTimer: (time, callback) => {
        let cancelled = false;
        const cancel = base.registerTimer(time, (t) => {
          if (cancelled) return;
          backend.prefetch!(timers().dueKeys('processing', Date.now(), TIMER_PREFETCH_KEYS)).then(
            () =>
              this.mailbox.mail(() => {
                if (!cancelled) callback(t);
              }),
            (e: unknown) =>
              this.mailbox.mail(() => {
                throw e;
              }),
          );
        });
        return () => {
          cancelled = true;
          cancel();
        };
      },
    };
  }

  /** Cancels every armed timer. */
  shutdown(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
