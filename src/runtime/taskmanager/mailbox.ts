/**
 * The mailbox of one task (Flink's MailboxProcessor): the task's single thread of work. Anything
 * that happens outside the task's loop (a checkpoint trigger, a processing-time timer, a split
 * assignment, the end of asynchronous work) is a mail, run by the loop between two records; network
 * frames and credits only wake the loop. The loop works in time slices and yields to the event loop
 * between them so that frames and timers get in.
 */
import { performance } from 'node:perf_hooks';

/** How long the loop works before it lets the event loop run (ms). */
const TIME_SLICE_MS = 5;

export type Mail = () => void;

export class Mailbox {
  private readonly mails: Mail[] = [];
  /** Who waits for the next notify: the loop, and operators yielding to the mailbox while it waits for them. */
  private wakers: (() => void)[] = [];
  private signaled = false;
  private sliceStart = performance.now();
  /** The task was cancelled: operators waiting in the mailbox (yieldUntil) stop waiting. */
  canceled = false;

  /** `run` runs one mail (the task attributes its failures to an operator). */
  constructor(private readonly run: (mail: Mail) => void) {}

  /** Queues `fn` for the loop and wakes it. */
  mail(fn: Mail): void {
    this.mails.push(fn);
    this.notify();
  }

  /** The task is being cancelled: wakes the loop and whoever yields to the mailbox. */
  cancel(): void {
    this.canceled = true;
    this.notify();
  }

  /** Wakes the loop if it waits; otherwise its next wait returns at once. */
  notify(): void {
    if (this.wakers.length > 0) {
      const ws = this.wakers;
      this.wakers = [];
      for (const w of ws) w();
    } else this.signaled = true;
  }

  /** Resolves on the next notify (or at once if one came since the last wait). */
  waitSignal(): Promise<void> {
    if (this.signaled) {
      this.signaled = false;
      return Promise.resolve();
    }
    return new Promise((r) => this.wakers.push(r));
  }

  /** Runs every queued mail, in order. */
  runMails(): void {
    const mails = this.mails;
    while (mails.length) this.run(mails.shift()!);
  }

  /** A new time slice begins (the loop just waited). */
  startSlice(): void {
    this.sliceStart = performance.now();
  }

  /** The loop has worked for a whole time slice: it should yield. */
  sliceOver(): boolean {
    return performance.now() - this.sliceStart > TIME_SLICE_MS;
  }

  /** Lets the event loop run (frames, timers), then starts a new slice. */
  async yield(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    this.sliceStart = performance.now();
  }
}
