// DRF's dispatch order on every route of the URL table (issue 13 #11): APIView.dispatch runs initial()
// — authentication, then check_permissions — before it looks the handler up, so an anonymous request to an
// IsAuthenticated view is answered 403 "Authentication credentials were not provided." whatever its method
// (OPTIONS included), a bad token 403 before anything else, and 405 only once permission passed. The
// table of allowed methods is the original's views' (golden transcripts, docs/compat-notes.md §3; profile/fill/
// has only post): a route that gains or loses a method fails here.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { call } from '../helpers/http.ts';
import { flattenPatterns } from '../../src/drf/router.ts';
import { urlpatterns } from '../../src/urls.ts';

type Perm = 'auth' | 'any';
const ROUTES: Array<[string, string, Perm]> = [
  ['api/user/register/', 'POST', 'auth'],
  ['api/user/login/', 'POST', 'any'],
  ['api/user/logout/', 'POST', 'auth'],
  ['api/user/list/', 'GET', 'auth'],
  ['api/user/forgot-password/', 'POST', 'any'],
  ['api/user/reset-password/', 'POST', 'any'],
  ['api/user/search/', 'GET', 'auth'],
  ['api/user/meet-our-team/', 'GET', 'any'],
  ['api/user/profile/fill/', 'POST', 'auth'],
  ['api/user/profile/detail/', 'GET', 'auth'],
  ['api/user/student/register/', 'POST', 'any'],
  ['api/user/student/verify-email/', 'POST', 'any'],
  ['api/user/student/resend-otp/', 'POST', 'any'],
  ['api/user/student/login/', 'POST', 'any'],
  ['api/user/student/forgot-password/', 'POST', 'any'],
  ['api/user/student/reset-password/', 'POST', 'any'],
  ['api/user/student/logout/', 'POST', 'auth'],
  ['api/user/student/google-login/', 'POST', 'any'],
  ['api/chat/groups/', 'GET', 'auth'],
  ['api/chat/groups/<str:room_id>/members/', 'GET', 'auth'],
  ['api/chat/groups/<str:room_id>/messages/', 'GET', 'auth'],
  ['api/chat/groups/list/', 'GET', 'auth'],
  ['api/chat/create-group/', 'POST', 'auth'],
  ['api/chat/delete-group/<int:room_id>/', 'DELETE', 'auth'],
  ['api/chat/edit-group/<int:room_id>/', 'PUT', 'auth'],
  ['api/chat/groups/<int:room_id>/messages/upload/', 'POST', 'auth'],
  ['api/chat/group/<int:room_id>/remove-yourself/', 'POST', 'auth'],
  ['api/chat/group/<int:room_id>/transfer-ownership/', 'POST', 'auth'],
  ['api/chat/group/<int:room_id>/add-yourself/', 'POST', 'auth'],
  ['api/chat/groups/search/', 'GET', 'auth'],
  ['api/chat/groups/<int:room_id>/search/members/', 'GET', 'auth'],
  ['api/chat/groups/<int:room_id>/mark-as-read/', 'POST', 'auth'],
  ['api/notifications/mark-as-read/', 'PATCH', 'auth'],
  ['api/notifications/unread-count/', 'GET', 'auth'],
  ['api/notifications/register-device/', 'POST', 'auth'],
  ['api/event/create/', 'POST', 'auth'],
  ['api/event/edit/<int:id>/', 'PUT', 'auth'],
  ['api/event/delete/<int:id>/', 'DELETE', 'auth'],
  ['api/event/event-for-homepage/', 'GET', 'any'],
  ['api/event/detail/<int:event_id>/', 'GET', 'any'],
  ['api/event/list/', 'GET', 'any'],
  ['api/task/create/', 'POST', 'auth'],
  ['api/task/edit/<int:pk>/', 'PUT', 'auth'],
  ['api/task/delete/<int:pk>/', 'DELETE', 'auth'],
  ['api/task/list/', 'GET', 'auth'],
  ['api/task/my-tasks/', 'GET', 'auth'],
  ['api/task/display-name-list/', 'GET', 'any'],
  ['api/domain/year-wise/', 'GET', 'auth'],
  ['api/domain/each-year/', 'GET', 'any'],
  ['api/attendance/checkin/', 'POST', 'auth'],
  ['api/attendance/checkout/', 'POST', 'auth'],
  ['api/attendance/weekly/', 'GET', 'auth'],
  ['api/announcement/create/', 'POST', 'auth'],
  ['api/homepage/stats/', 'GET', 'auth'],
  ['api/homepage/announcements/', 'GET', 'auth'],
  ['api/homepage/upcoming-events/', 'GET', 'auth'],
  ['api/homepage/ongoing-events/', 'GET', 'auth'],
];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const KABIR = userToken('kabir.singh@akgec.ac.in');
const NOT_AUTHENTICATED = '{"detail":"Authentication credentials were not provided."}';

/** DRF's Allow header: the view's methods in Django's order, HEAD after GET, OPTIONS last. */
const allowOf = (methods: string[]) =>
  [...METHODS.filter((m) => methods.includes(m)).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])), 'OPTIONS'].join(', ');
const concrete = (route: string) => '/' + route.replace(/<(?:\w+:)?\w+>/g, '1');

describe('the URL table allows exactly the original views’ methods (issue 13 #11)', () => {
  it('every apiView route is in the table with its methods and permission', () => {
    const actual = flattenPatterns(urlpatterns)
      .filter(({ view }) => view.allowed)
      .map(({ route, view }): [string, string, Perm] => [
        route,
        [...view.allowed!.methods].join(' '),
        view.allowed!.permission === 'any' ? 'any' : 'auth',
      ]);
    expect(actual).to.deep.equal(ROUTES);
  });
});

describeServer('DRF dispatch order on every route: authentication and permission before the 405 (issue 13 #11)', { timeout: 300000 }, (srv) => {
  it('anonymous: 403 on IsAuthenticated views for every method (OPTIONS too), 405 with Allow on AllowAny views', async () => {
    const wrong: string[] = [];
    for (const [route, methods, perm] of ROUTES) {
      const allowed = methods.split(' ');
      for (const m of [...METHODS, 'OPTIONS']) {
        if (perm === 'any' && (allowed.includes(m) || m === 'OPTIONS')) continue; // runs the view
        const res = await call(srv, m, concrete(route));
        const want =
          perm === 'auth' ? [403, NOT_AUTHENTICATED, allowOf(allowed)] : [405, `{"detail":"Method \\"${m}\\" not allowed."}`, allowOf(allowed)];
        if (JSON.stringify([res.status, res.text, res.allow]) !== JSON.stringify(want)) {
          wrong.push(`${m} ${route}: ${res.status} ${res.text} [${res.allow}]`);
        }
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it('a bad token is refused before the method check on every route; a user gets 405 with Allow for every other method', async () => {
    const wrong: string[] = [];
    for (const [route, methods] of ROUTES) {
      const allowed = methods.split(' ');
      for (const m of METHODS) {
        const bad = await call(srv, m, concrete(route), 'nope');
        if (bad.status !== 403 || bad.text !== '{"detail":"Invalid token."}') wrong.push(`bad token ${m} ${route}: ${bad.status} ${bad.text}`);
        if (allowed.includes(m)) continue;
        const res = await call(srv, m, concrete(route), KABIR);
        if (res.status !== 405 || res.text !== `{"detail":"Method \\"${m}\\" not allowed."}` || res.allow !== allowOf(allowed)) {
          wrong.push(`${m} ${route}: ${res.status} ${res.text} [${res.allow}]`);
        }
      }
      const options = await call(srv, 'OPTIONS', concrete(route), KABIR);
      if (options.status !== 200 || options.allow !== allowOf(allowed)) wrong.push(`OPTIONS ${route}: ${options.status}`);
    }
    expect(wrong).to.deep.equal([]);
  });
});
