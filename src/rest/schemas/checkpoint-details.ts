/** Shapes of one checkpoint's details: `/jobs/:id/checkpoints/details/:cid` (+ `/subtasks/:vid`) and a manual checkpoint's status. */
import { Type, type Static } from 'typebox';
import { OneOf } from './common.js';

const Int = Type.Integer();
const status = OneOf(['IN_PROGRESS', 'COMPLETED', 'FAILED']);

const taskFields = {
  id: Int,
  status,
  latest_ack_timestamp: Int,
  checkpointed_size: Int,
  state_size: Int,
  end_to_end_duration: Int,
  alignment_buffered: Int,
  processed_data: Int,
  persisted_data: Int,
  num_subtasks: Int,
  num_acknowledged_subtasks: Int,
};
export const TaskCheckpointStatisticsSchema = Type.Object(taskFields);

/** Flink's CheckpointStatistics (one checkpoint, with its vertices under `tasks`). */
export const CheckpointStatisticsSchema = Type.Object({
  className: OneOf(['completed', 'in_progress', 'failed']),
  ...taskFields,
  is_savepoint: Type.Boolean(),
  savepointFormat: Type.Union([Type.String(), Type.Null()]),
  trigger_timestamp: Int,
  checkpoint_type: OneOf(['CHECKPOINT', 'UNALIGNED_CHECKPOINT', 'SAVEPOINT', 'SYNC_SAVEPOINT']),
  tasks: Type.Record(Type.String(), TaskCheckpointStatisticsSchema),
  external_path: Type.Optional(Type.String()),
  discarded: Type.Optional(Type.Boolean()),
  failure_timestamp: Type.Optional(Int),
  failure_message: Type.Optional(Type.String()),
});

export const CheckpointDetailsParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  cid: Type.String({ pattern: '^[0-9]{1,15}$' }),
});
export const CheckpointVertexParams = Type.Object({
  ...CheckpointDetailsParams.properties,
  vid: Type.String({ minLength: 1, maxLength: 128 }),
});

const Summary = Type.Object({
  min: Int,
  max: Int,
  avg: Int,
  p50: Type.Number(),
  p90: Type.Number(),
  p95: Type.Number(),
  p99: Type.Number(),
  p999: Type.Number(),
});
export type StatsSummary = Static<typeof Summary>;

/** Flink's SubtaskCheckpointStatistics: `completed` with its figures, or `pending` (not acknowledged yet, or failed). */
export const SubtaskCheckpointStatisticsSchema = Type.Object({
  className: OneOf(['completed', 'pending']),
  index: Int,
  status: OneOf(['completed', 'pending_or_failed']),
  ack_timestamp: Type.Optional(Int),
  end_to_end_duration: Type.Optional(Int),
  state_size: Type.Optional(Int),
  checkpointed_size: Type.Optional(Int),
  checkpoint: Type.Optional(Type.Object({ sync: Int, async: Int })),
  alignment: Type.Optional(Type.Object({ buffered: Int, processed: Int, persisted: Int, duration: Int })),
  start_delay: Type.Optional(Int),
  unaligned_checkpoint: Type.Optional(Type.Boolean()),
  aborted: Type.Optional(Type.Boolean()),
});
export type SubtaskCheckpointStatistics = Static<typeof SubtaskCheckpointStatisticsSchema>;

export const TaskCheckpointDetailsSchema = Type.Object({
  ...taskFields,
  summary: Type.Object({
    state_size: Summary,
    checkpointed_size: Summary,
    end_to_end_duration: Summary,
    checkpoint_duration: Type.Object({ sync: Summary, async: Summary }),
    alignment: Type.Object({ buffered: Summary, processed: Summary, persisted: Summary, duration: Summary }),
    start_delay: Summary,
  }),
  subtasks: Type.Array(SubtaskCheckpointStatisticsSchema),
});
export type TaskCheckpointDetails = Static<typeof TaskCheckpointDetailsSchema>;

export const CheckpointTriggerParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  triggerid: Type.String({ pattern: '^[0-9]{1,15}$' }),
});
/** GET /jobs/:id/checkpoints/:triggerid: Flink's AsynchronousOperationResult with a CheckpointInfo. */
export const CheckpointTriggerStatusSchema = Type.Object({
  status: Type.Object({ id: OneOf(['IN_PROGRESS', 'COMPLETED']) }),
  operation: Type.Optional(
    Type.Object({
      checkpointId: Type.Optional(Int),
      failureCause: Type.Optional(Type.Object({ class: Type.String(), 'stack-trace': Type.String() })),
    }),
  ),
});
