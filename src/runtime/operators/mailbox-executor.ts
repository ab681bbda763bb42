/**
 * What an operator that waits for work outside the task (asynchronous I/O) gets from its task
 * (Flink's MailboxExecutor): `execute` runs a mail on the task's thread between two records, and
 * `yieldUntil` keeps running mails (completions, timers, checkpoint triggers) until `done()` holds,
 * so a full operator waits without stopping the task's mailbox.
 */
export interface MailboxExecutor {
  execute(mail: () => void): void;
  yieldUntil(done: () => boolean): Promise<void>;
}
