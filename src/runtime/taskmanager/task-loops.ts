/**
 * A task's loops (Flink's StreamTask processInput and the mailbox loop around it): the source loop
 * (the reader emits into the chain while the outputs have room) and the input loop (buffers and
 * events from the gate into the head operator), with their waits for backpressure, blocked sinks,
 * input and mails, each counted as idle, busy or backpressured time.
 */
import { MAX_WATERMARK } from '../../api/time.js';
import type { InputGate } from '../network/input-gate.js';
import type { ResultPartition } from '../network/result-partition.js';
import { attribute } from '../operators/chaining.js';
import type { SourceOperator } from '../operators/source-operator.js';
import type { Mailbox } from './mailbox.js';
import type { OperatorChain } from './operator-chain.js';
import type { TaskMetrics as TaskMetricGroup } from './task-metrics.js';

export class TaskLoops {
  /** Records taken from the gate (a source task counts its reader's output instead). */
  recordsIn = 0;

  constructor(
    private readonly mailbox: Mailbox,
    private readonly partition: ResultPartition,
    private readonly chain: OperatorChain,
    private readonly metricGroup: TaskMetricGroup,
    /** bufferTimeout 0: flush after every record or buffer. */
    private readonly flushEach: boolean,
    /** Throws when the task is canceled or its stop-with-savepoint is done. */
    readonly checkCanceled: () => void,
  ) {}

  async awaitBlocker(): Promise<void> {
    const chain = this.chain;
    while (chain.blocker) {
      const b = chain.blocker;
      chain.blocker = undefined;
      // A sink waiting for its external system to take a write is busy (as a slow sink is in Flink):
      // backpressure is what its upstream tasks see.
      await b;
    }
  }

  /** Backpressure: waits (running mails) until every subpartition has room again. */
  async awaitOutputs(): Promise<void> {
    const bp = this.metricGroup.backPressured;
    bp.markStart();
    try {
      while (!this.partition.isAvailable()) {
        this.checkCanceled();
        this.mailbox.runMails();
        await this.mailbox.waitSignal();
      }
    } finally {
      bp.markEnd();
    }
  }

  /** Waits for input (or a mail): idle time. */
  async idle(p: Promise<unknown>): Promise<void> {
    const idle = this.metricGroup.idle;
    idle.markStart();
    try {
      await p;
    } finally {
      idle.markEnd();
    }
  }

  /** The source loop: the reader emits into the chain while the outputs have room. */
  async runSource(src: SourceOperator): Promise<void> {
    const { mailbox, partition, chain } = this;
    const flushEach = this.flushEach;
    mailbox.startSlice();
    for (;;) {
      this.checkCanceled();
      mailbox.runMails();
      if (chain.blocker) await this.awaitBlocker();
      if (!partition.isAvailable()) await this.awaitOutputs();
      const status = chain.call(0, () => src.pollNext());
      if (status === 'END_OF_INPUT') break;
      if (flushEach) partition.flush();
      if (status === 'NOTHING_AVAILABLE') {
        partition.flush();
        await this.idle(Promise.race([src.isAvailable(), mailbox.waitSignal()]));
        mailbox.startSlice();
        continue;
      }
      if (mailbox.sliceOver()) await mailbox.yield();
    }
    if (src.bounded) chain.call(0, () => src.processWatermark(MAX_WATERMARK));
  }

  /**
   * The input loop: takes buffers and events from the gate (round-robin over channels not blocked
   * by an alignment), feeds records to the head operator and lets the gate handle events, until
   * `done(gate)` holds.
   */
  async pollInputs(gate: InputGate, done: (gate: InputGate) => boolean): Promise<void> {
    const { mailbox, partition, chain } = this;
    const flushEach = this.flushEach;
    mailbox.startSlice();
    for (;;) {
      this.checkCanceled();
      mailbox.runMails();
      if (done(gate)) return;
      if (!partition.isAvailable()) await this.awaitOutputs();
      const item = gate.pollNext();
      if (item === undefined) {
        partition.flush();
        await this.idle(mailbox.waitSignal());
        mailbox.startSlice();
        continue;
      }
      if (item.k === 'data') {
        const { values, timestamps } = item;
        const input = gate.input;
        this.recordsIn += values.length;
        const prefetch = chain.prefetchRecords(values, input);
        if (prefetch !== undefined) await prefetch;
        const head = chain.head;
        for (let r = 0; r < values.length; r++) {
          try {
            head.processElement(values[r], timestamps === null ? undefined : (timestamps[r] ?? undefined), input);
          } catch (e) {
            throw attribute(e, chain.opNames[0]!);
          }
          if (chain.blocker) await this.awaitBlocker();
        }
        if (flushEach) partition.flush();
      } else {
        const pending = gate.processEvent(item.ev);
        if (pending !== undefined) await pending;
        if (chain.hasPendingWatermarks) await chain.deliverWatermarks();
      }
      if (mailbox.sliceOver()) await mailbox.yield();
    }
  }
}
