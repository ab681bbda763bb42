// Declared with every other message that crosses a boundary (a frame crosses threads and processes).
export type { ChannelEvent, Frame } from '../rpc/messages.js';

/** A channel is one producer subtask → one consumer subtask of one job edge in one execution attempt. */
export function channelId(jobId: string, attempt: number, edgeId: string, producer: number, consumer: number): string {
  return `${jobId}/${attempt}/${edgeId}/${producer}/${consumer}`;
}
