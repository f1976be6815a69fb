import type { UrlRouter } from '../drf/router.ts';

/** The original's Task/urls.py under /api/task/ (issue #7). */
export function registerTaskRoutes(_router: UrlRouter): void {}
