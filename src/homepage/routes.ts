import type { UrlRouter } from '../drf/router.ts';
import * as v from './views.ts';

/** The original's homepage URLs under /api/homepage/ (issue #7). */
export function registerHomepageRoutes(router: UrlRouter): void {
  const p = 'api/homepage/';
  router
    .add(`${p}stats/`, v.homepageStats)
    .add(`${p}announcements/`, v.homepageAnnouncements)
    .add(`${p}upcoming-events/`, v.upcomingEvents)
    .add(`${p}ongoing-events/`, v.ongoingEvents);
}
