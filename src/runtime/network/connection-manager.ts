/**
 * Connections of one worker to its peers (Flink's ConnectionManager). One connection per peer
 * worker carries every channel between the two, multiplexed by channel id, in order. A peer may be
 * this worker itself (frames are delivered on a later turn, never re-entrantly), another worker in
 * this process (a MessagePort; buffers are transferred, not copied), or, in a cluster, a worker in
 * another TaskManager process (a port to the TaskManager, which relays over TCP).
 */
import type { MessagePort } from 'node:worker_threads';
import { WeirError } from '../../errors.js';
import type { Frame, LocalFrame } from './events.js';
import type { FrameSink } from './channel.js';

export type FrameHandler = (frame: LocalFrame) => void;
export type ChannelEnd = 'consumer' | 'producer';

export class ConnectionManager {
  private readonly ports = new Map<string, MessagePort>();
  private readonly pending = new Map<string, Frame[]>();
  /** Consumer ends (data and events arrive here) and producer ends (credits arrive here), by channel. */
  private readonly handlers = { consumer: new Map<string, FrameHandler>(), producer: new Map<string, FrameHandler>() };
  /** Frames for channels whose reader/writer is not registered yet (a task still deploying). */
  private readonly early = { consumer: new Map<string, LocalFrame[]>(), producer: new Map<string, LocalFrame[]>() };
  private localQueue: LocalFrame[] = [];
  private localScheduled = false;

  constructor(
    readonly self: string,
    /** Asks the TaskManager for a connection to `peer`; it answers with addConnection. */
    private readonly requestConnection: (peer: string) => void,
  ) {}

  addConnection(peer: string, port: MessagePort): void {
    this.ports.set(peer, port);
    port.on('message', (msg: Frame | Frame[]) => {
      if (Array.isArray(msg)) for (const f of msg) this.dispatch(f);
      else this.dispatch(msg);
    });
    const queued = this.pending.get(peer);
    if (queued) {
      this.pending.delete(peer);
      for (const f of queued) this.send(peer, f);
    }
  }

  /** A FrameSink bound to one peer. */
  sinkTo(peer: string): FrameSink {
    return { send: (frame) => this.send(peer, frame) };
  }

  send(peer: string, frame: LocalFrame): void {
    if (peer === this.self) {
      this.localQueue.push(frame);
      if (!this.localScheduled) {
        this.localScheduled = true;
        setImmediate(this.drainLocal);
      }
      return;
    }
    if (frame.k === 'records') {
      // Records by reference exist only between the two ends of an in-thread exchange.
      throw new WeirError('WEIR_INTERNAL', `channel ${frame.ch}: a batch of records by reference cannot go to worker ${peer}`);
    }
    const port = this.ports.get(peer);
    if (port) {
      if (frame.k === 'data') port.postMessage(frame, [frame.buf.buffer as ArrayBuffer]);
      else port.postMessage(frame);
      return;
    }
    let q = this.pending.get(peer);
    if (!q) {
      q = [];
      this.pending.set(peer, q);
      this.requestConnection(peer);
    }
    q.push(frame);
  }

  /** `consumer` ends receive data and events; `producer` ends receive credits. */
  register(channel: string, end: ChannelEnd, handler: FrameHandler): void {
    this.handlers[end].set(channel, handler);
    const early = this.early[end].get(channel);
    if (early) {
      this.early[end].delete(channel);
      for (const f of early) handler(f);
    }
  }

  unregister(channel: string, end: ChannelEnd): void {
    this.handlers[end].delete(channel);
    this.early[end].delete(channel);
  }

  close(): void {
    for (const p of this.ports.values()) p.close();
    this.ports.clear();
    this.handlers.consumer.clear();
    this.handlers.producer.clear();
  }

  private readonly drainLocal = (): void => {
    this.localScheduled = false;
    const q = this.localQueue;
    this.localQueue = [];
    for (const f of q) this.dispatch(f);
  };

  private dispatch(frame: LocalFrame): void {
    const end: ChannelEnd = frame.k === 'credit' ? 'producer' : 'consumer';
    const h = this.handlers[end].get(frame.ch);
    if (h) {
      h(frame);
      return;
    }
    const early = this.early[end];
    let q = early.get(frame.ch);
    if (!q) early.set(frame.ch, (q = []));
    q.push(frame);
  }
}
