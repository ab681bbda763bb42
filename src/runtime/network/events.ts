// Declared with every other message that crosses a boundary (a frame crosses threads and processes).
export type { ChannelEvent, Frame } from '../rpc/messages.js';
import type { Frame } from '../rpc/messages.js';

/** A channel is one producer subtask → one consumer subtask of one job edge in one execution attempt. */
export function channelId(jobId: string, attempt: number, edgeId: string, producer: number, consumer: number): string {
  return `${jobId}/${attempt}/${edgeId}/${producer}/${consumer}`;
}

/**
 * A batch of records passed by reference from a producer to a consumer in the same thread (an
 * in-thread exchange): the records themselves instead of a serialised buffer. It never leaves the
 * thread that made it, so it has no schema; the ConnectionManager refuses to send one to a peer.
 * It takes one credit, as a buffer does.
 */
export interface RecordsFrame {
  k: 'records';
  ch: string;
  values: unknown[];
  timestamps: (number | undefined)[] | null;
}

/** What travels on a channel inside one thread: the frames of any connection, plus record batches by reference. */
export type LocalFrame = Frame | RecordsFrame;
