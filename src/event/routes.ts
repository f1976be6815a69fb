import type { UrlRouter } from '../drf/router.ts';
import * as v from './views.ts';

/** The original's Event/urls.py under /api/event/ (issue #7), in its order. */
export function registerEventRoutes(router: UrlRouter): void {
  const p = 'api/event/';
  router
    .add(`${p}create/`, v.createEvent)
    .add(`${p}edit/<int:id>/`, v.editEvent)
    .add(`${p}delete/<int:id>/`, v.deleteEvent)
    .add(`${p}event-for-homepage/`, v.eventForHomepage)
    .add(`${p}detail/<int:event_id>/`, v.eventDetail)
    .add(`${p}list/`, v.eventList);
}
