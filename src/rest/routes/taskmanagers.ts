/** The TaskManagers: `/taskmanagers`, `/taskmanagers/:id`. */
import { IdParams, TaskManagerInfoSchema, TaskManagersInfoSchema, withErrors } from '../api.js';
import { HttpError } from '../http-error.js';
import { assignedTasks, taskManagerInfo } from '../taskmanager-views.js';
import type { RestApp, RouteContext } from './context.js';

export function taskManagerRoutes(app: RestApp, { jobManager }: RouteContext): void {
  const rm = jobManager.resourceManager;
  const info = (t: ReturnType<typeof rm.taskManagers>[number]) =>
    taskManagerInfo(t.gw, t.freeSlots, assignedTasks(jobManager.dispatcher.list(), t.gw.id));

  app.get('/taskmanagers', { schema: { response: withErrors({ 200: TaskManagersInfoSchema }) } }, async () => ({
    taskmanagers: rm.taskManagers().map(info),
  }));

  app.get('/taskmanagers/:id', { schema: { params: IdParams, response: withErrors({ 200: TaskManagerInfoSchema }) } }, async (req) => {
    const t = rm.taskManagers().find((x) => x.gw.id === req.params.id);
    if (!t) throw new HttpError(404, `TaskManager ${req.params.id} not found`);
    return info(t);
  });
}
