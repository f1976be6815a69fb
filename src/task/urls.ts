// The original's Task/urls.py. Included under api/task/ by src/urls.ts.
import { path } from '../drf/router.ts';
import * as v from './views.ts';

export const urlpatterns = [
  path('create/', v.createTask),
  path('edit/<int:pk>/', v.editTask),
  path('delete/<int:pk>/', v.deleteTask),
  path('list/', v.taskList),
  path('my-tasks/', v.myTasks),
  path('display-name-list/', v.taskNames),
];
