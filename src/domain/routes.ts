import type { UrlRouter } from '../drf/router.ts';
import * as v from './views.ts';

/** The original's Domain/urls.py under /api/domain/ (issue #7). */
export function registerDomainRoutes(router: UrlRouter): void {
  const p = 'api/domain/';
  router.add(`${p}year-wise/`, v.yearWise).add(`${p}each-year/`, v.eachYear);
}
