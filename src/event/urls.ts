// The original's Event/urls.py, in its order. Included under api/event/ by src/urls.ts.
import { path } from '../drf/router.ts';
import * as v from './views.ts';

export const urlpatterns = [
  path('create/', v.createEvent),
  path('edit/<int:id>/', v.editEvent),
  path('delete/<int:id>/', v.deleteEvent),
  path('event-for-homepage/', v.eventForHomepage),
  path('detail/<int:event_id>/', v.eventDetail),
  path('list/', v.eventList),
];
