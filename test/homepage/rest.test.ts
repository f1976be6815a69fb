// Homepage (stats, announcements, upcoming/ongoing events), Domain (year-wise, each-year) and the
// read-only Event views (list, detail, event-for-homepage) against the Django seed: whole bodies.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { call } from '../helpers/http.ts';
import { describeServer } from '../helpers/suites.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in');
const MEERA = userToken('meera.nair@akgec.ac.in');
const ANAGH = userToken('anagh.jaiswar@akgec.ac.in');
const DEV = userToken('dev.outsider@akgec.ac.in');
const TANYA = userToken('tanya.gupta@akgec.ac.in');

const POSTER_1 = 'http://res.cloudinary.com/dcbla9zbl/image/upload/v1739600000/orientposter000000001.jpg';
const POSTER_2 = 'http://res.cloudinary.com/dcbla9zbl/image/upload/v1739600100/hackcsiposter00000002.png';
const GALLERY_1 = 'http://res.cloudinary.com/dcbla9zbl/image/upload/v1739500000/galleryimg0000000001.jpg';

describeServer('homepage, domain and event reads', { timeout: 120000 }, (srv) => {
  it('stats: counters per user (pending/current tasks, rooms with unread incl. inactive, received announcements)', async () => {
    const dev = await call(srv, 'GET', '/api/homepage/stats/', DEV);
    expect(dev.status).to.equal(200);
    expect(dev.text).to.equal(
      '{"photo":null,"name":"Dev","year":"3rd","is_completed":false,"tasks_assigned":0,"chat_groups_with_unread":0,"announcement_count":0}',
    );
    const meera = await call(srv, 'GET', '/api/homepage/stats/', MEERA);
    expect(meera.json).to.deep.equal({
      photo: 'http://res.cloudinary.com/dcbla9zbl/image/upload/v1739200500/meeraprofilex1y2z3w4.png',
      name: 'Meera',
      year: '2nd',
      is_completed: false,
      tasks_assigned: 1,
      chat_groups_with_unread: 2,
      announcement_count: 1,
    });
    // Reading room 1 clears it; a newer message (her own included) makes it unread again.
    expect((await call(srv, 'POST', '/api/chat/groups/1/mark-as-read/', MEERA, {})).status).to.equal(200);
    expect((await call(srv, 'GET', '/api/homepage/stats/', MEERA)).json.chat_groups_with_unread).to.equal(1);
    await srv.ctx.db.knex.raw(
      `INSERT INTO "Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at, updated_at,
           parent_message_id, sender_id, room_id, is_pinned, pinned_at)
         VALUES ('text', 'later', NULL, NULL, false, false, '{}', now() + interval '1 minute', now(), NULL, 4, 1, false, NULL)`,
    );
    expect((await call(srv, 'GET', '/api/homepage/stats/', MEERA)).json.chat_groups_with_unread).to.equal(2);
    // A current task of one of her groups counts, a completed one does not; pending counts too.
    await srv.ctx.db.knex.raw(`UPDATE "Task_task" SET status = 'pending' WHERE id = 2`);
    expect((await call(srv, 'GET', '/api/homepage/stats/', MEERA)).json.tasks_assigned).to.equal(2);
  });

  it('stats, announcements and homepage events require a token (403, DRF bodies); GET only', async () => {
    for (const p of ['stats', 'announcements', 'upcoming-events', 'ongoing-events']) {
      const r = await call(srv, 'GET', `/api/homepage/${p}/`, null);
      expect(r.status, p).to.equal(403);
      expect(r.text).to.equal('{"detail":"Authentication credentials were not provided."}');
      const bad = await call(srv, 'GET', `/api/homepage/${p}/`, 'nope');
      expect(bad.text).to.equal('{"detail":"Invalid token."}');
      const post = await call(srv, 'POST', `/api/homepage/${p}/`, KABIR, {});
      expect(post.status).to.equal(405);
      expect(post.text).to.equal('{"detail":"Method \\"POST\\" not allowed."}');
      expect(post.allow).to.equal('GET, HEAD, OPTIONS');
    }
    const slashless = await fetch(srv.baseUrl + '/api/homepage/stats', { redirect: 'manual', headers: { Authorization: `Token ${KABIR}` } });
    expect(slashless.status).to.equal(301);
    expect(slashless.headers.get('location')).to.equal('/api/homepage/stats/');
  });

  it('announcements: only received ones, newest first, time_date in UTC minutes; [] when none', async () => {
    const tanya = await call(srv, 'GET', '/api/homepage/announcements/', TANYA);
    expect(tanya.text).to.equal(
      '[{"time_date":"2025-04-08 12:30","related_to_display":"Manual Selection","sender_first_name":"Anagh","message":"Orientation on Friday 4 PM, CSIT lab. Attendance mandatory."}]',
    );
    const dev = await call(srv, 'GET', '/api/homepage/announcements/', DEV);
    expect(dev.status).to.equal(200);
    expect(dev.text).to.equal('[]');
    const anagh = await call(srv, 'GET', '/api/homepage/announcements/', ANAGH);
    expect(anagh.json).to.deep.equal([
      {
        time_date: '2025-04-09 14:00',
        related_to_display: 'Domain Based',
        sender_first_name: 'Riya',
        message: 'Backend task 1 is live, check the app.',
      },
    ]);
  });

  it('upcoming/ongoing events follow the status column', async () => {
    await srv.ctx.db.knex.raw(`UPDATE "Event_event" SET status = 'upcoming' WHERE id = 3`);
    const up = await call(srv, 'GET', '/api/homepage/upcoming-events/', KABIR);
    expect(up.json).to.deep.equal([
      { id: 2, poster: POSTER_2 },
      { id: 3, poster: null },
    ]);
    const on = await call(srv, 'GET', '/api/homepage/ongoing-events/', KABIR);
    expect(on.json).to.deep.equal([{ id: 1, poster: POSTER_1 }]);
    await srv.ctx.db.knex.raw(`UPDATE "Event_event" SET status = 'previous' WHERE id = 1`);
    expect((await call(srv, 'GET', '/api/homepage/ongoing-events/', KABIR)).text).to.equal('[]');
  });

  it('domain/year-wise: 2nd and 3rd years grouped by lower-cased domain name ("undefined" without one)', async () => {
    const r = await call(srv, 'GET', '/api/domain/year-wise/', KABIR);
    expect(r.status).to.equal(200);
    expect(r.text).to.equal(
      '{"2nd":{"backend":[{"id":3,"full_name":"Kabir Singh"}],"app_dev":[{"id":4,"full_name":"Meera Nair"}],"undefined":[{"id":6,"full_name":"Tanya Gupta"}]},' +
        '"3rd":{"frontend":[{"id":2,"full_name":"Riya Sharma"},{"id":7,"full_name":"Dev None"}],"ml":[{"id":5,"full_name":"Arjun Verma"}]}}',
    );
    expect((await call(srv, 'GET', '/api/domain/year-wise/', null)).status).to.equal(403);
  });

  it('domain/each-year: every domain under each year choice, open to anyone', async () => {
    const r = await call(srv, 'GET', '/api/domain/each-year/', null);
    expect(r.status).to.equal(200);
    const domains = [
      { id: 1, name: 'BACKEND' },
      { id: 2, name: 'FRONTEND' },
      { id: 3, name: 'APP_DEV' },
      { id: 4, name: 'ML' },
    ];
    expect(r.json).to.deep.equal([
      { id: '2nd', label: '2nd Year', domains },
      { id: '3rd', label: '3rd Year', domains },
      { id: '4th', label: '4th Year', domains },
    ]);
    // A bad token header is still refused (authentication runs first).
    expect((await call(srv, 'GET', '/api/domain/each-year/', 'nope')).status).to.equal(403);
  });

  it('event/list, detail and event-for-homepage are open; unknown ids answer 404 {"error": ...}', async () => {
    const list = await call(srv, 'GET', '/api/event/list/', null);
    expect(list.status).to.equal(200);
    expect(list.json.map((e: { id: number }) => e.id)).to.deep.equal([1, 2, 3]);
    const detail = await call(srv, 'GET', '/api/event/detail/1/', null);
    expect(detail.text).to.equal(
      '{"id":1,"title":"CSI Orientation 2025","description":"Orientation for the new batch.","guidelines":"Bring your ID card.","venue":"CSIT Lab",' +
        '"registration_start_date":"2025-04-01T10:00:00+05:30","registration_end_date":"2025-04-10T23:00:00+05:30","event_date":"2025-04-11T16:00:00+05:30",' +
        `"poster":"${POSTER_1}","status":"ongoing","gallery_files":["${GALLERY_1}"],"is_registrations_open":false,"payment_required":false,"amount":null,` +
        '"created_at":"2025-03-10T10:00:00+05:30","updated_at":"2025-03-10T10:00:00+05:30"}',
    );
    expect((await call(srv, 'GET', '/api/event/detail/2/', KABIR)).json.amount).to.equal('199.00');
    for (const id of ['999', '0', '99999999999999999999999']) {
      const missing = await call(srv, 'GET', `/api/event/detail/${id}/`, null);
      expect(missing.status, id).to.equal(404);
      expect(missing.text).to.equal('{"error":"Event Not Found"}');
    }
    // <int:event_id> does not match text: Django's HTML 404.
    const text = await fetch(srv.baseUrl + '/api/event/detail/abc/');
    expect(text.status).to.equal(404);
    expect(text.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    const home = await call(srv, 'GET', '/api/event/event-for-homepage/', null);
    expect(home.text).to.equal(
      `[{"id":3,"poster":null,"status":"previous"},{"id":2,"poster":"${POSTER_2}","status":"upcoming"},{"id":1,"poster":"${POSTER_1}","status":"ongoing"}]`,
    );
  });
});
