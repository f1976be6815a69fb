// Routes of the remaining Django apps (event, task, domain, attendance, announcement, homepage).
import type { UrlRouter } from './drf/router.ts';

export function registerAppRoutes(_router: UrlRouter): void {}
