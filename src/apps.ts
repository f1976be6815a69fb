// Routes of the remaining Django apps (event, task, domain, attendance, announcement, homepage).
import type { UrlRouter } from './drf/router.ts';
import { registerEventRoutes } from './event/routes.ts';
import { registerTaskRoutes } from './task/routes.ts';
import { registerDomainRoutes } from './domain/routes.ts';
import { registerAttendanceRoutes } from './attendance/routes.ts';
import { registerAnnouncementRoutes } from './announcement/routes.ts';
import { registerHomepageRoutes } from './homepage/routes.ts';

export function registerAppRoutes(router: UrlRouter): void {
  registerEventRoutes(router);
  registerTaskRoutes(router);
  registerDomainRoutes(router);
  registerAttendanceRoutes(router);
  registerAnnouncementRoutes(router);
  registerHomepageRoutes(router);
}
