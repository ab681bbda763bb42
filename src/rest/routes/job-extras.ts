/**
 * More of a job: `/jobs/:id/config`, `/jobs/:id/accumulators`, one checkpoint's details
 * (`/jobs/:id/checkpoints/details/:cid`, + `/subtasks/:vid`) and a manual checkpoint's status
 * (`/jobs/:id/checkpoints/:triggerid`; the trigger id is the checkpoint's id).
 */
import type { SubtaskCheckpointAck } from '../../runtime/checkpoint/checkpoint-coordinator.js';
import {
  AccumulatorsQuery,
  CheckpointDetailsParams,
  CheckpointStatisticsSchema,
  CheckpointTriggerParams,
  CheckpointTriggerStatusSchema,
  CheckpointVertexParams,
  IdParams,
  JobAccumulatorsInfoSchema,
  JobConfigInfoSchema,
  TaskCheckpointDetailsSchema,
  withErrors,
  type StatsSummary,
  type SubtaskCheckpointStatistics,
} from '../api.js';
import { userAccumulators } from '../accumulator-views.js';
import { HttpError } from '../http-error.js';
import type { RestApp, RouteContext } from './context.js';

function summary(values: number[]): StatsSummary {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number): number => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : 0);
  return {
    min: s[0] ?? 0,
    max: s.at(-1) ?? 0,
    avg: s.length ? Math.round(s.reduce((a, b) => a + b, 0) / s.length) : 0,
    p50: q(0.5),
    p90: q(0.9),
    p95: q(0.95),
    p99: q(0.99),
    p999: q(0.999),
  };
}

function subtaskStats(index: number, ack: SubtaskCheckpointAck | undefined, triggered: number): SubtaskCheckpointStatistics {
  if (!ack) return { className: 'pending', index, status: 'pending_or_failed' };
  return {
    className: 'completed',
    index,
    status: 'completed',
    ack_timestamp: ack.ack_timestamp,
    end_to_end_duration: ack.ack_timestamp - triggered,
    state_size: ack.state_size,
    checkpointed_size: ack.checkpointed_size,
    checkpoint: { sync: Math.round(ack.syncMs), async: Math.round(ack.asyncMs) },
    alignment: { buffered: 0, processed: 0, persisted: 0, duration: Math.round(ack.alignmentMs) },
    start_delay: 0,
    unaligned_checkpoint: false,
    aborted: false,
  };
}

/** What an archived job's 404 says the archive does not keep. */
const LIVE_ONLY = 'configuration, accumulators or checkpoint details';

export function jobExtraRoutes(app: RestApp, { jobs }: RouteContext): void {
  app.get('/jobs/:id/config', { schema: { params: IdParams, response: withErrors({ 200: JobConfigInfoSchema }) } }, async (req) => {
    const jm = await jobs.live(req.params.id, LIVE_ONLY);
    const c = jm.submission.config;
    const userConfig: Record<string, string> = {};
    for (const [k, v] of Object.entries(c)) if (k.startsWith('pipeline.global-job-parameters.')) userConfig[k.slice(31)] = String(v);
    return {
      jid: jm.jobId,
      name: jm.jobName,
      'execution-config': {
        'execution-mode': 'PIPELINED',
        'restart-strategy': String(
          c['restart-strategy.type'] ?? (c['execution.checkpointing.interval'] !== undefined ? 'fixed-delay' : 'none'),
        ),
        'job-parallelism': Math.max(...jm.jobGraph.vertices.map((v) => v.parallelism)),
        'object-reuse-mode': [true, 'true'].includes(c['pipeline.object-reuse'] as string),
        'user-config': userConfig,
      },
    };
  });

  app.get(
    '/jobs/:id/accumulators',
    { schema: { params: IdParams, querystring: AccumulatorsQuery, response: withErrors({ 200: JobAccumulatorsInfoSchema }) } },
    async (req) => {
      const accumulators = (await jobs.live(req.params.id, LIVE_ONLY)).accumulators();
      const serialized: Record<string, string> = {};
      // ?includeSerializedValue=true: each value as Flink's SerializedValue would carry it (here, its JSON in base64).
      if (req.query.includeSerializedValue === 'true')
        for (const [name, acc] of Object.entries(accumulators))
          serialized[name] = Buffer.from(JSON.stringify(acc.value)).toString('base64');
      return {
        'job-accumulators': [],
        'user-task-accumulators': userAccumulators(accumulators),
        'serialized-user-task-accumulators': serialized,
      };
    },
  );

  const details = async (id: string, cid: string) => {
    const jm = await jobs.live(id, LIVE_ONLY);
    const d = jm.checkpointDetails(Number(cid));
    if (!d) throw new HttpError(404, `Checkpoint ${cid} of job ${id} is not in its checkpoint history (the latest 10 are kept)`);
    return { jm, d };
  };

  app.get(
    '/jobs/:id/checkpoints/details/:cid',
    { schema: { params: CheckpointDetailsParams, response: withErrors({ 200: CheckpointStatisticsSchema }) } },
    async (req) => (await details(req.params.id, req.params.cid)).d.entry,
  );

  app.get(
    '/jobs/:id/checkpoints/details/:cid/subtasks/:vid',
    { schema: { params: CheckpointVertexParams, response: withErrors({ 200: TaskCheckpointDetailsSchema }) } },
    async (req) => {
      const { jm, d } = await details(req.params.id, req.params.cid);
      const task = d.entry.tasks[req.params.vid];
      const v = jm.jobGraph.vertices.find((x) => x.id === req.params.vid);
      if (!task || !v) throw new HttpError(404, `Checkpoint ${req.params.cid} of job ${req.params.id} has no vertex ${req.params.vid}`);
      const acks = d.subtaskAcks(v.id);
      const byIndex = new Map(acks.map((a) => [a.index, a]));
      const t0 = d.entry.trigger_timestamp;
      return {
        ...task,
        summary: {
          state_size: summary(acks.map((a) => a.state_size)),
          checkpointed_size: summary(acks.map((a) => a.checkpointed_size)),
          end_to_end_duration: summary(acks.map((a) => a.ack_timestamp - t0)),
          checkpoint_duration: {
            sync: summary(acks.map((a) => Math.round(a.syncMs))),
            async: summary(acks.map((a) => Math.round(a.asyncMs))),
          },
          alignment: {
            buffered: summary(acks.map(() => 0)),
            processed: summary(acks.map(() => 0)),
            persisted: summary(acks.map(() => 0)),
            duration: summary(acks.map((a) => Math.round(a.alignmentMs))),
          },
          start_delay: summary(acks.map(() => 0)),
        },
        subtasks: Array.from({ length: v.parallelism }, (_, i) => subtaskStats(i, byIndex.get(i), t0)),
      };
    },
  );

  app.get(
    '/jobs/:id/checkpoints/:triggerid',
    { schema: { params: CheckpointTriggerParams, response: withErrors({ 200: CheckpointTriggerStatusSchema }) } },
    async (req) => {
      const { d } = await details(req.params.id, req.params.triggerid);
      const e = d.entry;
      if (e.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' as const } };
      if (e.status === 'COMPLETED') return { status: { id: 'COMPLETED' as const }, operation: { checkpointId: e.id } };
      return {
        status: { id: 'COMPLETED' as const },
        operation: { failureCause: { class: 'WeirError', 'stack-trace': `WEIR_CHECKPOINT: ${e.failure_message ?? ''}` } },
      };
    },
  );
}
