// The original's Announcement/urls.py. Included under api/announcement/ by src/urls.ts.
import { path } from '../drf/router.ts';
import * as v from './views.ts';

export const urlpatterns = [path('create/', v.createAnnouncement)];
