/**
 * Checkpoint barriers at a task with input channels (Flink's SingleCheckpointBarrierHandler).
 *
 * EXACTLY_ONCE aligns: once the barrier of checkpoint n arrived on a channel, that channel is
 * blocked (the task stops polling it, so what follows the barrier waits in the channel, and
 * credit-based flow control eventually stops its producer) until the barrier arrived on every
 * channel; then the task snapshots, forwards the barrier and every channel is released.
 * AT_LEAST_ONCE blocks nothing and snapshots when the last barrier arrives.
 *
 * A channel that ended (end of partition) counts as aligned. A barrier of a newer checkpoint
 * during an alignment cancels the older one (the task declines it); an abort from the coordinator
 * releases the blocked channels. Barriers of checkpoints already handled or cancelled are ignored.
 */
import type { ChannelEvent } from '../network/events.js';

export type Barrier = Extract<ChannelEvent, { t: 'barrier' }>;

export interface BarrierAlignerHost {
  /** Every channel delivered the barrier (or ended): snapshot and forward it. */
  aligned(barrier: Barrier, alignmentMs: number): void;
  /** The alignment of `checkpointId` cannot complete (a newer barrier overtook it). */
  cancelled(checkpointId: number, reason: string): void;
}

export class BarrierAligner {
  private readonly blocked: Uint8Array;
  private readonly ended: Uint8Array;
  private readonly arrived: Uint8Array;
  private current: Barrier | undefined;
  private startedAt = 0;
  /** Highest checkpoint id aligned, cancelled or aborted: its late barriers are ignored. */
  private handled = 0;

  constructor(
    readonly numChannels: number,
    private readonly host: BarrierAlignerHost,
  ) {
    this.blocked = new Uint8Array(numChannels);
    this.ended = new Uint8Array(numChannels);
    this.arrived = new Uint8Array(numChannels);
  }

  /** Whether the task must not poll channel `ch` now. */
  isBlocked(ch: number): boolean {
    return this.blocked[ch] === 1;
  }

  /** The checkpoint being aligned, if any. */
  get pendingCheckpoint(): number | undefined {
    return this.current?.id;
  }

  onBarrier(ch: number, b: Barrier): void {
    if (b.id <= this.handled) return;
    const cur = this.current;
    if (cur !== undefined && b.id < cur.id) return;
    if (cur !== undefined && b.id > cur.id) {
      const old = cur.id;
      this.reset(old);
      this.host.cancelled(old, `the barrier of checkpoint ${b.id} arrived before checkpoint ${old} was aligned`);
    }
    if (this.current === undefined) {
      this.current = b;
      this.startedAt = Date.now();
      this.arrived.fill(0);
    }
    if (this.arrived[ch] === 0) {
      this.arrived[ch] = 1;
      if (b.mode === 'EXACTLY_ONCE') this.blocked[ch] = 1;
    }
    this.check();
  }

  /** Channel `ch` delivered end of partition: it counts as aligned from now on. */
  onEndOfPartition(ch: number): void {
    if (this.ended[ch] === 1) return;
    this.ended[ch] = 1;
    this.blocked[ch] = 0;
    this.check();
  }

  /** The coordinator aborted `checkpointId`: stop aligning it (and anything older). */
  abort(checkpointId: number): void {
    if (checkpointId > this.handled && (this.current === undefined || this.current.id <= checkpointId)) {
      if (this.current !== undefined) this.reset(this.current.id);
      this.handled = Math.max(this.handled, checkpointId);
    }
  }

  private check(): void {
    const b = this.current;
    if (b === undefined) return;
    for (let i = 0; i < this.numChannels; i++) if (this.arrived[i] === 0 && this.ended[i] === 0) return;
    const alignmentMs = Date.now() - this.startedAt;
    this.reset(b.id);
    this.host.aligned(b, alignmentMs);
  }

  private reset(id: number): void {
    this.current = undefined;
    this.arrived.fill(0);
    this.blocked.fill(0);
    this.handled = Math.max(this.handled, id);
  }
}
