/** The TaskManagers: `/taskmanagers`, `/taskmanagers/:id`. */
import { IdParams, TaskManagerInfoSchema, TaskManagersInfoSchema, withErrors } from '../api.js';
import { HttpError } from '../http-error.js';
import { taskManagerInfo } from '../views.js';
import type { RestApp, RouteContext } from './context.js';

export function taskManagerRoutes(app: RestApp, { jobManager }: RouteContext): void {
  const rm = jobManager.resourceManager;

  app.get('/taskmanagers', { schema: { response: withErrors({ 200: TaskManagersInfoSchema }) } }, async () => ({
    taskmanagers: rm.taskManagers().map((t) => taskManagerInfo(t.gw, t.freeSlots)),
  }));

  app.get('/taskmanagers/:id', { schema: { params: IdParams, response: withErrors({ 200: TaskManagerInfoSchema }) } }, async (req) => {
    const t = rm.taskManagers().find((x) => x.gw.id === req.params.id);
    if (!t) throw new HttpError(404, `TaskManager ${req.params.id} not found`);
    return taskManagerInfo(t.gw, t.freeSlots);
  });
}
