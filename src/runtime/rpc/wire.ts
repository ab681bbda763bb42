/**
 * The wire of the RPC transport: frame kinds, the handshake's MAC and identity checks, and the
 * length-prefixed frame reader. transport.ts drives connections with them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PROTOCOL_VERSION } from './protocol.js';
import type { Identity, PeerRole } from './transport.js';

export const HANDSHAKE_MAX_FRAME = 4096;

/** An error a request handler throws to answer the request with an error (the connection stays). */
export class RpcError extends Error {}

export type Wire =
  | { t: 'hello'; v: number; role: PeerRole; id: string; nonce: string }
  | { t: 'auth'; v: number; role: PeerRole; id: string; nonce: string; mac: string }
  | { t: 'welcome'; mac: string }
  | { t: 'reject'; reason: string }
  | { t: 'm'; m: unknown }
  | { t: 'q'; id: number; m: unknown }
  | { t: 'r'; id: number; m: unknown }
  | { t: 'e'; id: number; error: string }
  | { t: 'bye'; reason: string };

export function mac(
  secret: string,
  direction: 'client' | 'server',
  serverNonce: string,
  clientNonce: string,
  client: Identity,
  server: Identity,
): string {
  return createHmac('sha256', secret)
    .update(
      [`weir-rpc-v${PROTOCOL_VERSION}`, direction, serverNonce, clientNonce, client.role, client.id, server.role, server.id].join('\n'),
    )
    .digest('hex');
}

export function sameMac(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export const validId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200 && /^[\w.:@+-]+$/.test(v);
export const validNonce = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

/** Splits a byte stream into length-prefixed frames. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private total = 0;
  private need = -1;
  max = HANDSHAKE_MAX_FRAME;

  /** The complete frames in `chunk` and before it; throws when a frame is too large. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.total += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.total < 4) break;
        const n = this.peek4().readUInt32BE(0);
        if (n > this.max) throw new Error(`frame of ${n} bytes is larger than the limit of ${this.max}`);
        this.need = n;
      }
      if (this.total < 4 + this.need) break;
      out.push(this.take(4 + this.need).subarray(4));
      this.need = -1;
    }
    return out;
  }

  private peek4(): Buffer {
    const first = this.chunks[0]!;
    return first.length >= 4 ? first : Buffer.concat(this.chunks).subarray(0, 4);
  }

  private take(n: number): Buffer {
    this.total -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const all = Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    return all.subarray(0, n);
  }
}
