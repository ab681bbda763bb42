/**
 * What travels on a channel besides record batches: watermarks, watermark status, checkpoint
 * barriers, the end of data and the end of the partition. Events keep their place in the channel's
 * order relative to records; they do not consume credits (they are few and small), but never
 * overtake buffered records.
 */
export type ChannelEvent =
  | { t: 'wm'; v: number }
  | { t: 'status'; idle: boolean }
  /** Checkpoint barrier: everything before it on the channel belongs to checkpoint `id`, everything after to later ones. */
  | { t: 'barrier'; id: number; timestamp: number; mode: 'EXACTLY_ONCE' | 'AT_LEAST_ONCE'; savepoint?: boolean; stop?: boolean }
  /**
   * End of data (Flink's EndOfData): no more records or watermarks follow, but barriers still do, so
   * the consumer can take part in the final checkpoint before end of partition. Sent only by jobs
   * with checkpointing; without it end of partition alone ends the data.
   */
  | { t: 'eod' }
  /** End of partition: the producer subtask will send nothing more on this channel. */
  | { t: 'eop' };

/** A frame on a connection between two workers; `ch` names the channel (see channelId). */
export type Frame =
  { k: 'data'; ch: string; buf: Uint8Array } | { k: 'event'; ch: string; ev: ChannelEvent } | { k: 'credit'; ch: string; n: number };

/** A channel is one producer subtask → one consumer subtask of one job edge in one execution attempt. */
export function channelId(jobId: string, attempt: number, edgeId: string, producer: number, consumer: number): string {
  return `${jobId}/${attempt}/${edgeId}/${producer}/${consumer}`;
}
