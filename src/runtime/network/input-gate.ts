/**
 * The consumer side of one task (Flink's SingleInputGate + UnionInputGate + CheckpointedInputGate):
 * one input channel per producer subtask of every incoming job edge, each registered for its
 * channel's frames and announcing its initial credit (exclusive buffers plus a share of the gate's
 * floating ones) when opened. The task polls the gate round-robin over channels with data, skipping
 * channels blocked by a barrier alignment. Events are handled here: watermarks and idleness go
 * through each logical input's valve, barriers to the aligner, and end of data / end of partition
 * are counted per input, so an input ends once all its channels did.
 */
import { producersOf } from '../../graph/distribution.js';
import { BarrierAligner, type Barrier } from '../checkpoint/barrier-aligner.js';
import type { TaskNetworkContext } from './channel.js';
import { channelId, type ChannelEvent, type LocalFrame } from './events.js';
import { InputChannel, type InputItem } from './input-channel.js';
import { StatusWatermarkValve } from './watermark-valve.js';

/** What the gate tells its task. */
export interface InputGateHost {
  /** A channel that had nothing received a frame: wake the task. */
  onData(): void;
  /** The watermark of logical input `input` advanced (minimum over its active channels). */
  watermark(watermark: number, input: number): void;
  /** Every channel of logical input `input` delivered end of data (or end of partition). */
  endInput(input: number): void | Promise<void>;
  /** Every channel delivered the barrier (or ended): snapshot and forward it. */
  aligned(barrier: Barrier, alignmentMs: number): void;
  /** The alignment of `checkpointId` cannot complete. */
  cancelled(checkpointId: number, reason: string): void;
}

export class InputGate {
  private readonly channels: InputChannel[] = [];
  /** Per channel: its logical input and its index in that input's valve. */
  private readonly channelInput: number[] = [];
  private readonly channelSlot: number[] = [];
  private readonly valves: StatusWatermarkValve[];
  private readonly aligner: BarrierAligner | undefined;
  /** Per input: channels that have not delivered end of data (or end of partition) yet. */
  private readonly dataOpenPerInput: number[];
  /** Per channel: end of data seen (1), end of partition seen (1). */
  private readonly dataEnded: Uint8Array;
  private readonly channelEnded: Uint8Array;
  private openData: number;
  private openChannels: number;
  private nextChannel = 0;
  /** The channel of the last item polled, and its logical input. */
  private lastChannel = -1;
  private polledInput = 0;

  constructor(
    private readonly ctx: TaskNetworkContext,
    /** Checkpoint barriers are aligned (the job takes checkpoints). */
    checkpointing: boolean,
    private readonly host: InputGateHost,
  ) {
    const { jobGraph, vertex, subtask, connections, settings } = ctx;
    const inputs = vertex.inputs.map((id) => jobGraph.edges.find((e) => e.id === id)!);
    const numInputs = inputs.reduce((m, e) => Math.max(m, e.inputIndex + 1), 0);
    const perInput = new Array<number>(numInputs).fill(0);
    const plan: { edgeId: string; producer: number; peer: string; input: number }[] = [];
    for (const e of inputs) {
      const src = jobGraph.vertices.find((v) => v.id === e.sourceVertex)!;
      for (const p of producersOf(e.partitioner, src.parallelism, vertex.parallelism, subtask)) {
        plan.push({ edgeId: e.id, producer: p, peer: ctx.locations[src.id]![p]!, input: e.inputIndex });
      }
    }
    const credit = Math.max(
      settings.buffersPerChannel,
      settings.buffersPerChannel + Math.floor(settings.floatingBuffersPerGate / Math.max(1, plan.length)),
    );
    for (const p of plan) {
      const ch = channelId(ctx.jobId, ctx.attempt, p.edgeId, p.producer, subtask);
      const input = new InputChannel(ch, p.producer, connections.sinkTo(p.peer), credit, () => host.onData());
      connections.register(ch, 'consumer', (f: LocalFrame) => input.receive(f));
      this.channels.push(input);
      this.channelInput.push(p.input);
      this.channelSlot.push(perInput[p.input]!++);
    }
    this.dataOpenPerInput = [...perInput];
    this.dataEnded = new Uint8Array(this.channels.length);
    this.channelEnded = new Uint8Array(this.channels.length);
    this.openData = this.openChannels = this.channels.length;
    if (checkpointing && this.channels.length > 0) {
      this.aligner = new BarrierAligner(this.channels.length, {
        aligned: (b, alignmentMs) => host.aligned(b, alignmentMs),
        cancelled: (id, reason) => host.cancelled(id, reason),
      });
    }
    this.valves = perInput.map(
      (n, input) => new StatusWatermarkValve(n, { watermark: (wm) => host.watermark(wm, input), status: () => undefined }),
    );
  }

  get numChannels(): number {
    return this.channels.length;
  }

  /** Every channel delivered end of data (or end of partition). */
  get allDataEnded(): boolean {
    return this.openData === 0;
  }

  /** Every channel delivered end of partition. */
  get partitionsEnded(): boolean {
    return this.openChannels === 0;
  }

  /** The logical input of the last item polled. */
  get input(): number {
    return this.polledInput;
  }

  get bytesIn(): number {
    let n = 0;
    for (const c of this.channels) n += c.bytesIn;
    return n;
  }

  /** Announces every channel's initial credit: producers may send from now on. */
  open(): void {
    for (const ch of this.channels) ch.open();
  }

  /** The next buffer or event, round-robin over channels with data that are not blocked by an alignment; undefined when there is none. */
  pollNext(): InputItem | undefined {
    const channels = this.channels;
    const n = channels.length;
    const aligner = this.aligner;
    for (let k = 0; k < n; k++) {
      const j = (this.nextChannel + k) % n;
      if (channels[j]!.hasData && (aligner === undefined || !aligner.isBlocked(j))) {
        this.nextChannel = (j + 1) % n;
        this.lastChannel = j;
        this.polledInput = this.channelInput[j]!;
        return channels[j]!.poll()!;
      }
    }
    return undefined;
  }

  /** Handles an event of the last item polled; a promise when an input ended and its operator's endInput is asynchronous. */
  processEvent(ev: ChannelEvent): void | Promise<void> {
    const idx = this.lastChannel;
    const input = this.polledInput;
    switch (ev.t) {
      case 'wm':
        this.valves[input]!.inputWatermark(this.channelSlot[idx]!, ev.v);
        return;
      case 'status':
        this.valves[input]!.inputStatus(this.channelSlot[idx]!, ev.idle);
        return;
      case 'barrier':
        this.aligner?.onBarrier(idx, ev);
        return;
      case 'eod':
        return this.endOfData(idx, input);
      case 'eop':
        return this.endOfPartition(idx, input);
    }
  }

  /** The coordinator aborted `checkpointId`: its alignment releases the blocked channels. */
  abortCheckpoint(checkpointId: number): void {
    this.aligner?.abort(checkpointId);
  }

  /** Stops receiving frames. */
  release(): void {
    for (const ch of this.channels) this.ctx.connections.unregister(ch.channel, 'consumer');
  }

  /** Channel `idx` has no more data (end of data, or end of partition without it): an input whose channels all ended ends. */
  private endOfData(idx: number, input: number): void | Promise<void> {
    if (this.dataEnded[idx] === 1) return;
    this.dataEnded[idx] = 1;
    this.openData--;
    if (--this.dataOpenPerInput[input]! === 0) return this.host.endInput(input);
  }

  private async endOfPartition(idx: number, input: number): Promise<void> {
    await this.endOfData(idx, input);
    if (this.channelEnded[idx] === 0) {
      this.channelEnded[idx] = 1;
      this.openChannels--;
      this.aligner?.onEndOfPartition(idx);
    }
  }
}
