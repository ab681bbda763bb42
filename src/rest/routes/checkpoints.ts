/**
 * A job's checkpoints and savepoints: statistics and configuration (live and archived jobs),
 * triggering a checkpoint or a savepoint, stop-with-savepoint, and a savepoint's status (Flink's
 * asynchronous operations).
 */
import { WeirError } from '../../errors.js';
import type { JobMaster } from '../../runtime/jobmanager/job-master.js';
import { isGloballyTerminal } from '../../runtime/jobmanager/job-status.js';
import {
  CheckpointConfigInfoSchema,
  CheckpointingStatisticsSchema,
  CheckpointTriggerRequestSchema,
  IdParams,
  SavepointInfoSchema,
  SavepointStatusParams,
  SavepointTriggerRequestSchema,
  StopWithSavepointRequestSchema,
  TriggerResponseSchema,
  withErrors,
  type TriggerResponse,
} from '../api.js';
import { HttpError } from '../http-error.js';
import type { RestApp, RouteContext } from './context.js';

const triggered = withErrors({ 202: TriggerResponseSchema });

/** A savepoint of a job that has not ended: `start` returns its trigger id. */
function trigger(jm: JobMaster, start: () => string): TriggerResponse {
  if (isGloballyTerminal(jm.status))
    throw new HttpError(409, `Job ${jm.jobId} has already reached the terminal state ${jm.status}`, 'WEIR_SAVEPOINT');
  return { 'request-id': start() };
}

export function checkpointRoutes(app: RestApp, { jobs }: RouteContext): void {
  app.get(
    '/jobs/:id/checkpoints',
    { schema: { params: IdParams, response: withErrors({ 200: CheckpointingStatisticsSchema }) } },
    async (req) => (await jobs.get(req.params.id)).checkpoints(),
  );

  app.get(
    '/jobs/:id/checkpoints/config',
    { schema: { params: IdParams, response: withErrors({ 200: CheckpointConfigInfoSchema }) } },
    async (req) => {
      const c = await (await jobs.get(req.params.id)).checkpointConfig();
      if (!c) throw new HttpError(404, `Checkpointing is not enabled for job ${req.params.id}`);
      return c;
    },
  );

  // Flink 1.19's manual checkpoint: the request id is the checkpoint's id; its status is in /jobs/:id/checkpoints.
  app.post(
    '/jobs/:id/checkpoints',
    { schema: { params: IdParams, body: CheckpointTriggerRequestSchema, response: triggered } },
    async (req, reply) => {
      const jm = jobs.running(req.params.id);
      if (isGloballyTerminal(jm.status))
        throw new HttpError(409, `Job ${jm.jobId} has already reached the terminal state ${jm.status}`, 'WEIR_CHECKPOINT');
      let id: number | undefined;
      try {
        id = jm.triggerCheckpoint(req.body?.checkpointType === 'FULL');
      } catch (e) {
        if (e instanceof WeirError) throw new HttpError(400, e.message, e.code);
        throw e;
      }
      if (id === undefined)
        throw new HttpError(
          503,
          `Job ${jm.jobId} cannot take a checkpoint right now (one is in progress, min-pause, or tasks are deploying): try again`,
          'WEIR_CHECKPOINT',
        );
      return reply.code(202).send({ 'request-id': String(id) });
    },
  );

  app.post(
    '/jobs/:id/savepoints',
    { schema: { params: IdParams, body: SavepointTriggerRequestSchema, response: triggered } },
    async (req, reply) => {
      const jm = jobs.running(req.params.id);
      const dir = req.body['target-directory'];
      const r = trigger(jm, () => (req.body['cancel-job'] === true ? jm.stopWithSavepoint(dir, false) : jm.triggerSavepoint(dir)));
      return reply.code(202).send(r);
    },
  );

  app.post(
    '/jobs/:id/stop',
    { schema: { params: IdParams, body: StopWithSavepointRequestSchema, response: triggered } },
    async (req, reply) => {
      const jm = jobs.running(req.params.id);
      const r = trigger(jm, () => jm.stopWithSavepoint(req.body.targetDirectory, req.body.drain === true));
      return reply.code(202).send(r);
    },
  );

  app.get(
    '/jobs/:id/savepoints/:triggerId',
    { schema: { params: SavepointStatusParams, response: withErrors({ 200: SavepointInfoSchema }) } },
    async (req) => {
      const s = jobs.running(req.params.id).savepointStatus(req.params.triggerId);
      if (!s) throw new HttpError(404, `Savepoint operation ${req.params.triggerId} of job ${req.params.id} not found`);
      if (s.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' as const } };
      if (s.status === 'COMPLETED') return { status: { id: 'COMPLETED' as const }, operation: { location: s.location! } };
      return {
        status: { id: 'COMPLETED' as const },
        operation: { 'failure-cause': { class: 'WeirError', 'stack-trace': `WEIR_SAVEPOINT: ${s.failure ?? ''}` } },
      };
    },
  );
}
