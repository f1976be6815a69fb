import type { UrlRouter } from '../drf/router.ts';
import * as v from './views.ts';

/** The original's Attendance/urls.py under /api/attendance/ (issue #7). */
export function registerAttendanceRoutes(router: UrlRouter): void {
  const p = 'api/attendance/';
  router.add(`${p}checkin/`, v.checkIn).add(`${p}checkout/`, v.checkOut).add(`${p}weekly/`, v.weekly);
}
