/** The TaskManagers: `/taskmanagers`, `/taskmanagers/:id`. */
import { IdParams, TaskManagerDetailsSchema, TaskManagersInfoSchema, withErrors } from '../api.js';
import { HttpError } from '../http-error.js';
import { assignedTasks, scaled, taskManagerInfo } from '../taskmanager-views.js';
import type { RestApp, RouteContext } from './context.js';

export function taskManagerRoutes(app: RestApp, { jobManager }: RouteContext): void {
  const rm = jobManager.resourceManager;
  const info = (t: ReturnType<typeof rm.taskManagers>[number]) =>
    taskManagerInfo(t.gw, t.freeSlots, assignedTasks(jobManager.dispatcher.list(), t.gw.id));

  app.get('/taskmanagers', { schema: { response: withErrors({ 200: TaskManagersInfoSchema }) } }, async () => ({
    taskmanagers: rm.taskManagers().map(info),
  }));

  app.get('/taskmanagers/:id', { schema: { params: IdParams, response: withErrors({ 200: TaskManagerDetailsSchema }) } }, async (req) => {
    const t = rm.taskManagers().find((x) => x.gw.id === req.params.id);
    if (!t) throw new HttpError(404, `TaskManager ${req.params.id} not found`);
    const base = info(t);
    const jobs = jobManager.dispatcher.list();
    const owners = rm.slotOwners(t.gw.id);
    const slotShare = t.gw.numberOfSlots > 0 ? 1 / t.gw.numberOfSlots : 0;
    // Weir gives subtask i of every vertex of a job slot i (slot sharing): a slot's tasks are those
    // of the job on this TaskManager divided over the job's slots here.
    const allocatedSlots = owners.flatMap((jobId) => {
      if (jobId === undefined) return [];
      const jm = jobs.find((j) => j.jobId === jobId);
      const here = owners.filter((o) => o === jobId).length;
      const tasks = jm ? assignedTasks([jm], t.gw.id) : 0;
      return [{ jobId, assignedTasks: here > 0 ? Math.round(tasks / here) : 0, resource: scaled(base.totalResource, slotShare) }];
    });
    return { ...base, allocatedSlots };
  });
}
