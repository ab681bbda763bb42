/**
 * The consumer end of one channel (Flink's RemoteInputChannel/LocalInputChannel: same code here).
 * It announces `initialCredit` buffers when opened and returns one credit each time the task has
 * processed a buffer, so the producer never has more buffers in flight than the consumer holds room
 * for. Buffers are decoded in arrival order (the decoder is sequential); batches by reference from
 * a producer in this thread are taken as they are.
 */
import { BatchDecoder } from './buffer-codec.js';
import type { ChannelEvent, LocalFrame } from './events.js';
import type { FrameSink } from './channel.js';

export type InputItem = { k: 'data'; values: unknown[]; timestamps: (number | undefined)[] | null } | { k: 'event'; ev: ChannelEvent };

export class InputChannel {
  private readonly decoder = new BatchDecoder();
  private readonly queue: LocalFrame[] = [];
  ended = false;
  bytesIn = 0;

  constructor(
    readonly channel: string,
    /** Index of the producing subtask (for watermark bookkeeping). */
    readonly index: number,
    private readonly toProducer: FrameSink,
    private readonly initialCredit: number,
    private readonly onData: () => void,
  ) {}

  open(): void {
    this.toProducer.send({ k: 'credit', ch: this.channel, n: this.initialCredit });
  }

  receive(frame: LocalFrame): void {
    this.queue.push(frame);
    if (this.queue.length === 1) this.onData();
  }

  get hasData(): boolean {
    return this.queue.length > 0;
  }

  /** Takes the next buffer or event; a data buffer's credit is returned at once (it is decoded here). */
  poll(): InputItem | undefined {
    const f = this.queue.shift();
    if (!f) return undefined;
    if (f.k === 'records') {
      // An in-thread exchange: the records themselves (no bytes to count), one credit per batch.
      this.toProducer.send({ k: 'credit', ch: this.channel, n: 1 });
      return { k: 'data', values: f.values, timestamps: f.timestamps };
    }
    if (f.k === 'data') {
      this.bytesIn += f.buf.byteLength;
      const [values, timestamps] = this.decoder.decode(f.buf);
      this.toProducer.send({ k: 'credit', ch: this.channel, n: 1 });
      return { k: 'data', values, timestamps };
    }
    if (f.k === 'event') {
      if (f.ev.t === 'eop') this.ended = true;
      return { k: 'event', ev: f.ev };
    }
    return undefined;
  }
}
