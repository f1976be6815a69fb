import type { UrlRouter } from '../drf/router.ts';

/** The original's Chat/urls.py under /api/chat/ (issue #5). */
export function registerChatRoutes(_router: UrlRouter): void {}
