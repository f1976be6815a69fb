import type { UrlRouter } from '../drf/router.ts';
import * as v from './views.ts';

/** The original's Announcement/urls.py under /api/announcement/ (issue #7). */
export function registerAnnouncementRoutes(router: UrlRouter): void {
  router.add('api/announcement/create/', v.createAnnouncement);
}
