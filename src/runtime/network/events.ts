/**
 * What travels on a channel besides record batches: watermarks, watermark status and the end of
 * the partition. Events keep their place in the channel's order relative to records; they do not
 * consume credits (they are few and small), but never overtake buffered records.
 */
export type ChannelEvent =
  | { t: 'wm'; v: number }
  | { t: 'status'; idle: boolean }
  /** End of partition: the producer subtask will send nothing more on this channel. */
  | { t: 'eop' };

/** A frame on a connection between two workers; `ch` names the channel (see channelId). */
export type Frame =
  { k: 'data'; ch: string; buf: Uint8Array } | { k: 'event'; ch: string; ev: ChannelEvent } | { k: 'credit'; ch: string; n: number };

/** A channel is one producer subtask → one consumer subtask of one job edge in one execution attempt. */
export function channelId(jobId: string, attempt: number, edgeId: string, producer: number, consumer: number): string {
  return `${jobId}/${attempt}/${edgeId}/${producer}/${consumer}`;
}
