/**
 * A running job's vertices: `/jobs/:id/vertices/:vid` (+ `/subtasks/:index`, `/attempts/:attempt`,
 * `/subtasktimes`, `/taskmanagers`, `/accumulators`, `/subtasks/accumulators`, `/backpressure`,
 * `/watermarks`). Served from the JobMaster of a job this JobManager runs or ran.
 */
import {
  AttemptParams,
  JobVertexAccumulatorsInfoSchema,
  JobVertexBackPressureInfoSchema,
  JobVertexDetailsInfoSchema,
  JobVertexTaskManagersInfoSchema,
  SubtaskAttemptAccumulatorsInfoSchema,
  SubtaskAttemptDetailsSchema,
  SubtaskParams,
  SubtasksAllAccumulatorsInfoSchema,
  SubtasksTimesInfoSchema,
  VertexParams,
  withErrors,
} from '../api.js';
import { HttpError } from '../http-error.js';
import { userAccumulators } from '../accumulator-views.js';
import { reportedInputWatermark } from '../task-times.js';
import { MetricCollectionSchema } from '../schemas/metrics.js';
import {
  endpointOf,
  subtaskAttemptDetails,
  subtaskOf,
  subtasksOf,
  subtaskTimes,
  vertexBackPressure,
  vertexDetails,
  vertexOf,
  vertexTaskManagers,
} from '../vertex-views.js';
import type { RestApp, RouteContext } from './context.js';

/** What an archived job's 404 says the archive does not keep. */
const LIVE_ONLY = 'per-vertex and per-subtask details';

export function vertexRoutes(app: RestApp, { jobs }: RouteContext): void {
  app.get(
    '/jobs/:id/vertices/:vid',
    { schema: { params: VertexParams, response: withErrors({ 200: JobVertexDetailsInfoSchema }) } },
    async (req) => vertexDetails(await jobs.live(req.params.id, LIVE_ONLY), req.params.vid),
  );

  app.get(
    '/jobs/:id/vertices/:vid/subtasks/:index',
    { schema: { params: SubtaskParams, response: withErrors({ 200: SubtaskAttemptDetailsSchema }) } },
    async (req) => {
      const jm = await jobs.live(req.params.id, LIVE_ONLY);
      return subtaskAttemptDetails(subtaskOf(jm, req.params.vid, req.params.index), jm.attempt, Date.now());
    },
  );

  app.get(
    '/jobs/:id/vertices/:vid/subtasks/:index/attempts/:attempt',
    { schema: { params: AttemptParams, response: withErrors({ 200: SubtaskAttemptDetailsSchema }) } },
    async (req) => {
      const jm = await jobs.live(req.params.id, LIVE_ONLY);
      const s = subtaskOf(jm, req.params.vid, req.params.index);
      // Weir restarts the whole job and keeps the current attempt's subtasks only.
      if (Number(req.params.attempt) !== jm.attempt)
        throw new HttpError(
          404,
          `Subtask ${req.params.index} of vertex ${req.params.vid} runs attempt ${jm.attempt}; earlier attempts are not kept`,
        );
      return subtaskAttemptDetails(s, jm.attempt, Date.now());
    },
  );

  app.get(
    '/jobs/:id/vertices/:vid/subtasktimes',
    { schema: { params: VertexParams, response: withErrors({ 200: SubtasksTimesInfoSchema }) } },
    async (req) => subtaskTimes(await jobs.live(req.params.id, LIVE_ONLY), req.params.vid),
  );

  app.get(
    '/jobs/:id/vertices/:vid/taskmanagers',
    { schema: { params: VertexParams, response: withErrors({ 200: JobVertexTaskManagersInfoSchema }) } },
    async (req) => vertexTaskManagers(await jobs.live(req.params.id, LIVE_ONLY), req.params.vid),
  );

  app.get(
    '/jobs/:id/vertices/:vid/backpressure',
    { schema: { params: VertexParams, response: withErrors({ 200: JobVertexBackPressureInfoSchema }) } },
    async (req) => vertexBackPressure(await jobs.live(req.params.id, LIVE_ONLY), req.params.vid),
  );

  // Flink's `<subtask>.currentInputWatermark` entries (a bare array, as Flink writes it), for the subtasks whose TaskManager reports one.
  app.get(
    '/jobs/:id/vertices/:vid/watermarks',
    { schema: { params: VertexParams, response: withErrors({ 200: MetricCollectionSchema }) } },
    async (req) => {
      const jm = await jobs.live(req.params.id, LIVE_ONLY);
      vertexOf(jm, req.params.vid);
      const metrics = subtasksOf(jm, req.params.vid).flatMap((s) => {
        const wm = reportedInputWatermark(s.metrics);
        return wm === undefined ? [] : [{ id: `${s.subtask}.currentInputWatermark`, value: String(wm) }];
      });
      return metrics;
    },
  );

  app.get(
    '/jobs/:id/vertices/:vid/accumulators',
    { schema: { params: VertexParams, response: withErrors({ 200: JobVertexAccumulatorsInfoSchema }) } },
    async (req) => {
      const jm = await jobs.live(req.params.id, LIVE_ONLY);
      const v = vertexOf(jm, req.params.vid);
      return { id: v.id, 'user-accumulators': userAccumulators(jm.accumulators(v.id)) };
    },
  );

  app.get(
    '/jobs/:id/vertices/:vid/subtasks/accumulators',
    { schema: { params: VertexParams, response: withErrors({ 200: SubtasksAllAccumulatorsInfoSchema }) } },
    async (req) => {
      const jm = await jobs.live(req.params.id, LIVE_ONLY);
      const v = vertexOf(jm, req.params.vid);
      const subtasks = subtasksOf(jm, v.id).map((s) => ({
        subtask: s.subtask,
        attempt: jm.attempt,
        endpoint: endpointOf(s),
        'user-accumulators': userAccumulators(s.metrics.accumulators),
      }));
      return { id: v.id, parallelism: v.parallelism, subtasks };
    },
  );

  app.get(
    '/jobs/:id/vertices/:vid/subtasks/:index/attempts/:attempt/accumulators',
    { schema: { params: AttemptParams, response: withErrors({ 200: SubtaskAttemptAccumulatorsInfoSchema }) } },
    async (req) => {
      const jm = await jobs.live(req.params.id, LIVE_ONLY);
      const s = subtaskOf(jm, req.params.vid, req.params.index);
      if (Number(req.params.attempt) !== jm.attempt)
        throw new HttpError(
          404,
          `Subtask ${req.params.index} of vertex ${req.params.vid} runs attempt ${jm.attempt}; earlier attempts are not kept`,
        );
      const id = `${req.params.vid}_${s.subtask}_${jm.attempt}`;
      return { subtask: s.subtask, attempt: jm.attempt, id, 'user-accumulators': userAccumulators(s.metrics.accumulators) };
    },
  );
}
