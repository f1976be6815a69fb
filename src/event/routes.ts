import type { UrlRouter } from '../drf/router.ts';

/** The original's Event/urls.py under /api/event/ (issue #7). */
export function registerEventRoutes(_router: UrlRouter): void {}
