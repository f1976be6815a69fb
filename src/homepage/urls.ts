// The original's homepage URLs. Included under api/homepage/ by src/urls.ts.
import { path } from '../drf/router.ts';
import * as v from './views.ts';

export const urlpatterns = [
  path('stats/', v.homepageStats),
  path('announcements/', v.homepageAnnouncements),
  path('upcoming-events/', v.upcomingEvents),
  path('ongoing-events/', v.ongoingEvents),
];
