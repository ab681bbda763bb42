/** Shapes of a job's checkpoints and savepoints: `/jobs/:id/checkpoints`, `/savepoints`, `/stop`. */
import { Type, type Static } from 'typebox';
import type { CheckpointConfigInfo, CheckpointingStatistics } from '../../runtime/checkpoint/checkpoint-coordinator.js';
import { closed, OneOf } from './common.js';

const num = Type.Number();
const MinMaxAvg = Type.Object({ min: num, max: num, avg: num, p50: num, p90: num, p95: num, p99: num, p999: num });
/** One checkpoint's statistics: served with every field the coordinator reports. */
const Entry = Type.Object({}, { additionalProperties: true, required: ['id', 'status'] });
const NullableEntry = Type.Unsafe({ type: ['object', 'null'], additionalProperties: true });

/**
 * `GET /jobs/:id/checkpoints`. The checkpoint coordinator defines the statistics' type; this
 * schema is what the REST API promises of it (top-level structure, counts and summaries).
 */
const CheckpointingStatisticsShape = Type.Object({
  counts: Type.Object({
    restored: Type.Integer(),
    total: Type.Integer(),
    in_progress: Type.Integer(),
    completed: Type.Integer(),
    failed: Type.Integer(),
  }),
  summary: Type.Object({
    checkpointed_size: MinMaxAvg,
    state_size: MinMaxAvg,
    end_to_end_duration: MinMaxAvg,
    alignment_buffered: MinMaxAvg,
    processed_data: MinMaxAvg,
    persisted_data: MinMaxAvg,
  }),
  latest: Type.Object({ completed: NullableEntry, savepoint: NullableEntry, failed: NullableEntry, restored: NullableEntry }),
  history: Type.Array(Entry),
});
export const CheckpointingStatisticsSchema = Type.Unsafe<CheckpointingStatistics>(CheckpointingStatisticsShape);
/** Top-level fields of `/jobs/:id/checkpoints` (an archived file must have them to be served). */
export const CHECKPOINTING_STATISTICS_FIELDS = CheckpointingStatisticsShape.required;

/** `GET /jobs/:id/checkpoints/config`: the coordinator's configuration as it reports it. */
export const CheckpointConfigInfoSchema = Type.Unsafe<CheckpointConfigInfo>(Type.Object({}, { additionalProperties: true }));

/** `POST /jobs/:id/checkpoints` (Flink 1.19's manual checkpoint); no body means the configured type. */
export const CheckpointTriggerRequestSchema = Type.Unsafe<{ checkpointType?: 'FULL' | 'INCREMENTAL' | 'CONFIGURED' } | null>({
  type: ['object', 'null'],
  properties: { checkpointType: OneOf(['FULL', 'INCREMENTAL', 'CONFIGURED']) },
  additionalProperties: false,
});

/** POST /jobs/:id/savepoints */
export const SavepointTriggerRequestSchema = Type.Object(
  {
    'target-directory': Type.Optional(Type.String()),
    /** Stop the job once the savepoint completed (as POST /jobs/:id/stop without drain). */
    'cancel-job': Type.Optional(Type.Boolean()),
  },
  closed,
);
export type SavepointTriggerRequest = Static<typeof SavepointTriggerRequestSchema>;

/** POST /jobs/:id/stop */
export const StopWithSavepointRequestSchema = Type.Object(
  { targetDirectory: Type.Optional(Type.String()), drain: Type.Optional(Type.Boolean()) },
  closed,
);
export type StopWithSavepointRequest = Static<typeof StopWithSavepointRequestSchema>;

export const TriggerResponseSchema = Type.Object({ 'request-id': Type.String() });
export type TriggerResponse = Static<typeof TriggerResponseSchema>;

export const SavepointStatusParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  triggerId: Type.String({ pattern: '^[0-9a-f]{32}$' }),
});

/** GET /jobs/:id/savepoints/:triggerId; a failed savepoint is COMPLETED with a failure-cause, as in Flink. */
export const SavepointInfoSchema = Type.Object({
  status: Type.Object({ id: OneOf(['IN_PROGRESS', 'COMPLETED']) }),
  operation: Type.Optional(
    Type.Object({
      location: Type.Optional(Type.String()),
      'failure-cause': Type.Optional(Type.Object({ class: Type.String(), 'stack-trace': Type.String() })),
    }),
  ),
});
export type SavepointInfo = Static<typeof SavepointInfoSchema>;
