import type { UrlRouter } from '../drf/router.ts';
import { loginView, logoutView } from './auth.ts';

export function registerUserRoutes(router: UrlRouter): void {
  router.add('api/user/login/', loginView);
  router.add('api/user/logout/', logoutView);
}
