/**
 * Messages of the data plane: TaskManager ↔ TaskManager frames of the channels between subtasks (see messages.ts).
 */
import { Type, type Static } from 'typebox';

import { Binary, Bool, CheckpointingMode, Int, List, Num, Str, Tagged } from '../../schema.js';
import { CheckpointId } from './message-common.js';

// ---------------------------------------------------------------- data plane

/**
 * What travels on a channel besides record batches: watermarks, watermark status, checkpoint
 * barriers, the end of data and the end of the partition. Events keep their place in the channel's
 * order relative to records; they do not consume credits (they are few and small), but never
 * overtake buffered records.
 */
export const ChannelEvent = Tagged('t', [
  Type.Object({ t: Type.Literal('wm'), v: Num }),
  Type.Object({ t: Type.Literal('status'), idle: Bool }),
  /** Checkpoint barrier: everything before it on the channel belongs to checkpoint `id`, everything after to later ones. */
  Type.Object({
    t: Type.Literal('barrier'),
    id: CheckpointId,
    timestamp: Int(0),
    mode: CheckpointingMode,
    savepoint: Type.Optional(Bool),
    stop: Type.Optional(Bool),
  }),
  /**
   * End of data (Flink's EndOfData): no more records or watermarks follow, but barriers still do, so
   * the consumer can take part in the final checkpoint before end of partition. Sent only by jobs
   * with checkpointing; without it end of partition alone ends the data.
   */
  Type.Object({ t: Type.Literal('eod') }),
  /** End of partition: the producer subtask will send nothing more on this channel. */
  Type.Object({ t: Type.Literal('eop') }),
]);
export type ChannelEvent = Static<typeof ChannelEvent>;

/** A frame on a connection between two workers; `ch` names the channel (see channelId). */
export const Frame = Tagged('k', [
  Type.Object({ k: Type.Literal('data'), ch: Str(1000), buf: Binary }),
  Type.Object({ k: Type.Literal('event'), ch: Str(1000), ev: ChannelEvent }),
  Type.Object({ k: Type.Literal('credit'), ch: Str(1000), n: Int(0) }),
]);
export type Frame = Static<typeof Frame>;

/** TaskManager ↔ TaskManager data connection: frames of the channels between worker `from` and worker `to`, in order. */
export const DataPlaneMessage = Tagged('type', [
  Type.Object({ type: Type.Literal('frames'), from: Str(1000), to: Str(1000), frames: List(Frame, 100_000) }),
]);
export type DataPlaneMessage = Static<typeof DataPlaneMessage>;
