/**
 * AsyncWaitOperator's wait for room: however many records arrive while its queue is full (a source
 * emits several per poll), the task gets one wait, not one per record — waits per record each woke
 * on every completion and spun through the mailbox. Records keep their order and all come out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncWaitOperator } from '../../dist/runtime/operators/async-wait-operator.js';
import type { MailboxExecutor } from '../../dist/runtime/operators/mailbox-executor.js';
import type { OperatorContext } from '../../dist/runtime/operators/operator.js';

test('records arriving while the queue is full share one capacity wait; every result is emitted in order', async () => {
  const mails: (() => void)[] = [];
  let waits = 0;
  const mailbox: MailboxExecutor = {
    execute: (m) => void mails.push(m),
    yieldUntil: async (done) => {
      waits++;
      for (let i = 0; i < 10_000 && !done(); i++) {
        while (mails.length) mails.shift()!();
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(done(), 'the wait ended');
    },
  };
  const out: unknown[] = [];
  const ctx = {
    operatorName: 'async',
    output: { collect: (v: unknown) => void out.push(v), emitWatermark: () => undefined },
    processingTimeService: { getCurrentProcessingTime: () => Date.now(), registerTimer: () => () => undefined },
    runtimeContext: undefined,
  } as unknown as OperatorContext;
  const blocked: Promise<unknown>[] = [];
  const op = new AsyncWaitOperator(
    ctx,
    { type: 'asyncWait', fn: async (v: number) => v * 2, ordered: true, timeout: 0, capacity: 4, retry: undefined },
    mailbox,
    (p) => void blocked.push(p),
  );
  op.initializeState(undefined);
  await op.open();
  for (let i = 0; i < 20; i++) op.processElement(i, undefined);
  assert.equal(blocked.length, 1, 'one wait for the whole batch');
  assert.equal(waits, 1);
  await Promise.all(blocked);
  await op.finish();
  assert.deepEqual(
    out,
    Array.from({ length: 20 }, (_, i) => i * 2),
  );
});
