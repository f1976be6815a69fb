// The original's Notification/urls.py. Included under api/notifications/ by src/urls.ts.
import { path } from '../drf/router.ts';
import * as v from './views.ts';

export const urlpatterns = [
  path('mark-as-read/', v.markNotificationsRead),
  path('unread-count/', v.unreadNotificationCount),
  path('register-device/', v.registerDevice),
];
