import type { UrlRouter } from '../drf/router.ts';

/** The original's Announcement/urls.py under /api/announcement/ (issue #7). */
export function registerAnnouncementRoutes(_router: UrlRouter): void {}
