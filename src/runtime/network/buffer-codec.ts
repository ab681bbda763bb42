/**
 * Serialises record batches for one channel. A buffer is MessagePack of `[values, timestamps]`
 * (timestamps is null when no record of the batch has one). Encoder and decoder are per channel
 * and `sequential`: a record shape is described once, in the first buffer that uses it, and
 * referenced afterwards, so the decoder must see buffers in the order they were encoded (channels
 * guarantee that).
 */
import { Packr, Unpackr } from 'msgpackr';

export class BatchEncoder {
  private readonly packr = new Packr({ sequential: true });
  /** Returns a buffer that owns its memory (safe to transfer to another thread). */
  encode(values: unknown[], timestamps: (number | undefined)[] | null): Uint8Array {
    const packed = this.packr.pack([values, timestamps]);
    // pack() returns a view into a reused scratch buffer: copy before handing it on.
    return Uint8Array.prototype.slice.call(packed);
  }
}

export class BatchDecoder {
  private readonly unpackr = new Unpackr({ sequential: true });
  decode(buf: Uint8Array): [unknown[], (number | undefined)[] | null] {
    return this.unpackr.unpack(buf) as [unknown[], (number | undefined)[] | null];
  }
}
