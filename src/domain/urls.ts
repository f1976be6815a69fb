// The original's Domain/urls.py. Included under api/domain/ by src/urls.ts.
import { path } from '../drf/router.ts';
import * as v from './views.ts';

export const urlpatterns = [path('year-wise/', v.yearWise), path('each-year/', v.eachYear)];
