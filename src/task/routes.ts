import type { UrlRouter } from '../drf/router.ts';
import * as v from './views.ts';

/** The original's Task/urls.py under /api/task/ (issue #7). */
export function registerTaskRoutes(router: UrlRouter): void {
  const p = 'api/task/';
  router
    .add(`${p}create/`, v.createTask)
    .add(`${p}edit/<int:pk>/`, v.editTask)
    .add(`${p}delete/<int:pk>/`, v.deleteTask)
    .add(`${p}list/`, v.taskList)
    .add(`${p}my-tasks/`, v.myTasks)
    .add(`${p}display-name-list/`, v.taskNames);
}
