// The original's Attendance/urls.py. Included under api/attendance/ by src/urls.ts.
import { path } from '../drf/router.ts';
import * as v from './views.ts';

export const urlpatterns = [path('checkin/', v.checkIn), path('checkout/', v.checkOut), path('weekly/', v.weekly)];
