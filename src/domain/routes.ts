import type { UrlRouter } from '../drf/router.ts';

/** The original's Domain/urls.py under /api/domain/ (issue #7). */
export function registerDomainRoutes(_router: UrlRouter): void {}
