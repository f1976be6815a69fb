import type { UrlRouter } from '../drf/router.ts';

/** The original's Attendance/urls.py under /api/attendance/ (issue #7). */
export function registerAttendanceRoutes(_router: UrlRouter): void {}
