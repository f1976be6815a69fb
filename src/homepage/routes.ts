import type { UrlRouter } from '../drf/router.ts';

/** The original's Homepage/urls.py under /api/homepage/ (issue #7). */
export function registerHomepageRoutes(_router: UrlRouter): void {}
