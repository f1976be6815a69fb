import type { UrlRouter } from '../drf/router.ts';

/** The original's Notification/urls.py under /api/notifications/ (issue #7). */
export function registerNotificationRoutes(_router: UrlRouter): void {}
