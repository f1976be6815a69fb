// The admin site over HTTP (issue #14): Django log-in and sessions, CSRF, permissions, forms with
// Django's validation, the django_admin_log rows recorded in docs/django-admin-notes.md, 404s, file
// names, and sockets closed with 4003 when an admin edit ends someone's access.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { backends, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { AdminClient } from '../helpers/adminClient.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { authenticateSession, decodeSession, sessionAuthHash } from '../../src/auth/sessions.ts';

const ANAGH = { email: 'anagh.jaiswar@akgec.ac.in', password: 'Anagh@4thYear' };
const RIYA = { email: 'riya.sharma@akgec.ac.in', password: 'Riya#3rdYear' };
const SECRET = 'admin-test-secret';

for (const backend of backends()) {
  describe(`admin site [${backend}]`, function () {
    this.timeout(120000);
    let srv: TestServer;
    const knex = () => srv.ctx.db.knex;
    const ct = async (app: string, model: string) => Number((await knex()('django_content_type').where({ app_label: app, model }).first('id')).id);
    const logRows = () =>
      knex()('django_admin_log').orderBy('id').select('object_id', 'object_repr', 'action_flag', 'change_message', 'content_type_id', 'user_id');

    async function superuser(): Promise<AdminClient> {
      const c = new AdminClient(srv.baseUrl);
      const r = await c.login(ANAGH.email, ANAGH.password);
      expect(r.status, r.text.slice(0, 300)).to.equal(302);
      return c;
    }

    async function grant(userId: number, codename: string, viaGroup = false): Promise<void> {
      const perm = await knex()('auth_permission').where({ codename }).first('id');
      if (viaGroup) {
        const [g] = await knex()('auth_group')
          .insert({ name: `g-${codename}` })
          .returning('id');
        await knex()('auth_group_permissions').insert({ group_id: g.id, permission_id: perm.id });
        await knex()('User_user_groups').insert({ user_id: userId, group_id: g.id });
      } else {
        await knex()('User_user_user_permissions').insert({ user_id: userId, permission_id: perm.id });
      }
    }

    before(async () => {
      srv = await startServer(backend, { env: { SECRET_KEY: SECRET } });
    });
    after(async () => srv?.close());
    // reset() also clears the counter store, so each test starts with the server's own log-in throttle fresh.
    beforeEach(async () => srv.reset());

    describe('log-in, sessions and log-out', () => {
      it('logs the superuser in as Django does: csrftoken, then sessionid (32 [a-z0-9]) and a django_session row Django can read', async () => {
        const c = new AdminClient(srv.baseUrl);
        let r = await c.get('/admin/');
        expect([r.status, r.headers.get('location')]).to.deep.equal([302, '/admin/login/?next=/admin/']);
        r = await c.get('/admin/login/');
        const csrfCookie = r.headers.getSetCookie().find((h) => h.startsWith('csrftoken='))!;
        expect(csrfCookie).to.match(
          /^csrftoken=[A-Za-z0-9]{32}; expires=[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT; Max-Age=31449600; Path=\/; SameSite=Lax$/,
        );
        expect(r.headers.get('x-frame-options')).to.equal('DENY');
        r = await c.login(ANAGH.email, ANAGH.password);
        expect([r.status, r.headers.get('location')]).to.deep.equal([302, '/admin/']);
        const session = r.headers.getSetCookie().find((h) => h.startsWith('sessionid='))!;
        expect(session).to.match(/^sessionid=[a-z0-9]{32}; expires=.+ GMT; HttpOnly; Max-Age=1209600; Path=\/; SameSite=Lax$/);
        const key = c.cookies.get('sessionid')!;
        const row = await knex()('django_session').where({ session_key: key }).first();
        const user = await knex()('User_user').where({ id: 1 }).first();
        expect(JSON.stringify(decodeSession(row.session_data, SECRET))).to.equal(
          JSON.stringify({
            _auth_user_id: '1',
            _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
            _auth_user_hash: sessionAuthHash(user.password, SECRET),
          }),
        );
        const expires = Date.parse(String(row.expire_date).replace(' ', 'T').replace(/\+00$/, 'Z'));
        expect(Math.abs(expires - (Date.now() + 1209600_000))).to.be.below(120_000);
        expect(user.last_login).to.not.equal(null);
        r = await c.get('/admin/');
        expect(r.status).to.equal(200);
        expect(r.text).to.contain('window.REDUX_STATE');
        expect(r.text).to.not.contain('pbkdf2_sha256');
        expect(r.text).to.not.contain('fonts.googleapis.com');
        // The same session works on the REST API.
        r = await c.get('/api/chat/groups/');
        expect(r.status).to.equal(200);
      });

      it('marks the cookies Secure behind an HTTPS proxy (TRUST_PROXY) and checks the Referer there', async () => {
        const proxied = await startServer(backend, { env: { SECRET_KEY: SECRET, TRUST_PROXY: 'true' }, seed: false });
        try {
          const c = new AdminClient(proxied.baseUrl);
          const https = { 'X-Forwarded-Proto': 'https' };
          let r = await c.request('/admin/login/', { headers: https });
          expect(r.headers.getSetCookie()[0]).to.match(/; SameSite=Lax; Secure$/);
          const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(r.text)![1];
          const body = new URLSearchParams({
            csrfmiddlewaretoken: token,
            username: ANAGH.email,
            password: ANAGH.password,
            next: '/admin/',
          }).toString();
          const form = { ...https, 'Content-Type': 'application/x-www-form-urlencoded' };
          r = await c.request('/admin/login/', { method: 'POST', headers: form, body });
          expect(r.status).to.equal(403);
          r = await c.request('/admin/login/', {
            method: 'POST',
            headers: { ...form, Referer: `https://${new URL(proxied.baseUrl).host}/admin/login/` },
            body,
          });
          expect(r.status).to.equal(302);
          const session = r.headers.getSetCookie().find((h) => h.startsWith('sessionid='))!;
          expect(session).to.match(/; HttpOnly; Max-Age=1209600; Path=\/; SameSite=Lax; Secure$/);
        } finally {
          await proxied.close();
        }
      });

      it("keeps `next` local and user text out of the page's scripts", async () => {
        await knex()('User_user').where({ id: 1 }).update({ first_name: '</script><script>window.pwned=1</script>' });
        const c = new AdminClient(srv.baseUrl);
        let r = await c.login(ANAGH.email, ANAGH.password, '//evil.example/x');
        expect(r.headers.get('location')).to.equal('/admin/');
        r = await c.get('/admin/');
        expect(r.text).to.not.contain('<script>window.pwned=1');
        expect(r.text).to.contain('\\u003c/script>\\u003cscript>window.pwned=1');
        expect((await c.get('/admin/Chat/room/%E0%A4%A/change/')).status).to.equal(400);
        expect((await c.get('/admin/api/resources/Chat.room/records/%E0%A4%A/show')).status).to.equal(404);
        expect((await c.get('/admin/api/resources/%E0%A4%A/actions/list')).status).to.equal(404);
      });

      it('refuses wrong passwords, non-staff and inactive users with the form error; nothing is stored', async () => {
        const error = 'Please enter the correct email and password for a staff account. Note that both fields may be case-sensitive.';
        await knex()('User_user').where({ id: 2 }).update({ is_staff: true, is_active: false });
        for (const [email, password] of [
          [ANAGH.email, 'wrong'],
          ['kabir.singh@akgec.ac.in', 'Kabir!2ndYear'],
          [RIYA.email, RIYA.password],
          ['nobody@x.org', 'x'],
          [ANAGH.email.toUpperCase(), ANAGH.password],
        ]) {
          const c = new AdminClient(srv.baseUrl);
          const r = await c.login(email, password);
          expect(r.status, email).to.equal(200);
          expect(r.text).to.contain(error.replace(/'/g, '&#x27;'));
          expect(c.cookies.has('sessionid')).to.equal(false);
        }
        expect(Number((await knex()('django_session').count({ n: '*' }).first())!.n)).to.equal(0);
        // The e-mail is stripped as Django's UsernameField strips it (and still case-sensitive).
        expect((await new AdminClient(srv.baseUrl).login(`  ${ANAGH.email} `, ANAGH.password)).status).to.equal(302);
      });

      it('throttles repeated failures (429 with Retry-After), even for the right password then', async () => {
        const c = new AdminClient(srv.baseUrl);
        for (let i = 0; i < 5; i++) expect((await c.login(ANAGH.email, `wrong-${i}`)).status).to.equal(200);
        const r = await c.login(ANAGH.email, ANAGH.password);
        expect(r.status).to.equal(429);
        expect(Number(r.headers.get('retry-after'))).to.be.above(0);
        expect(r.text).to.contain('Too many failed log-in attempts');
        expect(c.cookies.has('sessionid')).to.equal(false);
        // Another account from the same client is not blocked.
        await knex()('User_user').where({ id: 2 }).update({ is_staff: true });
        expect((await new AdminClient(srv.baseUrl).login(RIYA.email, RIYA.password)).status).to.equal(302);
        // A throttle store outage lets log-ins through (as the REST throttles) instead of a 500.
        const throttle = srv.ctx.admin.loginThrottle;
        const down = () => Promise.reject(new Error('store down'));
        srv.ctx.admin.loginThrottle = { attempt: down, success: down };
        try {
          expect((await new AdminClient(srv.baseUrl).login(RIYA.email, RIYA.password)).status).to.equal(302);
        } finally {
          srv.ctx.admin.loginThrottle = throttle;
        }
      });

      it('counts concurrent log-in attempts each: a burst of guesses gets five tries, the rest 429', async () => {
        const c = new AdminClient(srv.baseUrl);
        const token = await c.loginForm();
        const guess = (i: number) =>
          c.request('/admin/login/', {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ csrfmiddlewaretoken: token, username: ANAGH.email, password: `guess-${i}`, next: '/admin/' }).toString(),
          });
        const statuses = (await Promise.all(Array.from({ length: 12 }, (_, i) => guess(i)))).map((r) => r.status);
        expect(statuses.filter((s) => s === 200)).to.have.length(5);
        expect(statuses.filter((s) => s === 429)).to.have.length(7);
        expect((await c.login(ANAGH.email, ANAGH.password)).status).to.equal(429);
      });

      it('throttles by the address the proxy saw (TRUST_PROXY), not by an X-Forwarded-For entry the client wrote', async () => {
        const proxied = await startServer(backend, { env: { SECRET_KEY: SECRET, TRUST_PROXY: 'true' }, seed: false });
        try {
          const attempt = async (client: AdminClient, forwardedFor: string, password: string) => {
            const token = await client.loginForm();
            return client.request('/admin/login/', {
              method: 'POST',
              headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': forwardedFor },
              body: new URLSearchParams({ csrfmiddlewaretoken: token, username: ANAGH.email, password, next: '/admin/' }).toString(),
            });
          };
          const c = new AdminClient(proxied.baseUrl);
          // The client writes a new first entry each time; the proxy appends the address it saw.
          for (let i = 0; i < 5; i++) expect((await attempt(c, `198.51.100.${i}, 10.1.2.3`, 'wrong')).status).to.equal(200);
          expect((await attempt(c, '198.51.100.99, 10.1.2.3', ANAGH.password)).status).to.equal(429);
          // Another client behind the same proxy is not blocked.
          expect((await attempt(new AdminClient(proxied.baseUrl), '10.1.2.4', ANAGH.password)).status).to.equal(302);
        } finally {
          await proxied.close();
        }
      });

      it('refuses a log-in POST without or with a wrong CSRF token (403), and sends no session', async () => {
        const c = new AdminClient(srv.baseUrl);
        const token = await c.loginForm();
        const body = (t: string) => new URLSearchParams({ csrfmiddlewaretoken: t, username: ANAGH.email, password: ANAGH.password }).toString();
        const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
        let r = await c.request('/admin/login/', { method: 'POST', headers: form, body: body('') });
        expect(r.status).to.equal(403);
        expect(r.text).to.contain('CSRF verification failed. Request aborted.');
        r = await c.request('/admin/login/', { method: 'POST', headers: { ...form, Cookie: '' }, body: body(token) });
        expect(r.status).to.equal(403);
        r = await c.request('/admin/login/', { method: 'POST', headers: form, body: body(token.slice(0, 63) + (token[63] === 'a' ? 'b' : 'a')) });
        expect(r.status).to.equal(403);
        r = await c.request('/admin/login/', { method: 'POST', headers: { ...form, Origin: 'http://evil.example' }, body: body(token) });
        expect(r.status).to.equal(403);
        expect(c.cookies.has('sessionid')).to.equal(false);
      });

      it('treats forged, expired, foreign-key and stale-hash session cookies as logged out', async () => {
        const c = await superuser();
        const key = c.cookies.get('sessionid')!;
        const goLogin = async (cookie: string) => {
          const r = await new AdminClient(srv.baseUrl).request('/admin/', { headers: { Cookie: cookie } });
          return [r.status, r.headers.get('location')];
        };
        expect(await goLogin(`sessionid=${key}`)).to.deep.equal([200, null]);
        expect(await goLogin('sessionid=abcdefghijklmnopqrstuvwxyz012345')).to.deep.equal([302, '/admin/login/?next=/admin/']);
        expect(await goLogin('sessionid=%00..%2F')).to.deep.equal([302, '/admin/login/?next=/admin/']);
        const row = await knex()('django_session').where({ session_key: key }).first();
        // Re-signed under another SECRET_KEY (a copy of the row with a tampered signature).
        const forged = 'zz' + key.slice(2);
        await knex()('django_session').insert({
          session_key: forged,
          session_data: row.session_data.slice(0, -3) + 'AAA',
          expire_date: row.expire_date,
        });
        expect(await goLogin(`sessionid=${forged}`)).to.deep.equal([302, '/admin/login/?next=/admin/']);
        // A password change since the log-in ends the session (and deletes the row).
        await knex()('User_user').where({ id: 1 }).update({ password: 'pbkdf2_sha256$870000$x$changed' });
        expect(await goLogin(`sessionid=${key}`)).to.deep.equal([302, '/admin/login/?next=/admin/']);
        expect(await knex()('django_session').where({ session_key: key }).first()).to.equal(undefined);
        // Expired.
        await knex()('django_session').where({ session_key: forged }).update({ expire_date: '2001-01-01T00:00:00Z' });
        expect(await goLogin(`sessionid=${forged}`)).to.deep.equal([302, '/admin/login/?next=/admin/']);
      });

      it('logs out with a POST carrying the CSRF token: the row is deleted; GET only asks', async () => {
        const c = await superuser();
        const key = c.cookies.get('sessionid')!;
        let r = await c.get('/admin/logout/');
        expect(r.status).to.equal(200);
        expect(await knex()('django_session').where({ session_key: key }).first()).to.not.equal(undefined);
        const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(r.text)![1];
        r = await c.request('/admin/logout/', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '' });
        expect(r.status).to.equal(403);
        r = await c.request('/admin/logout/', {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: `csrfmiddlewaretoken=${token}`,
        });
        expect(r.status).to.equal(200);
        expect(r.text).to.contain('Logged out');
        expect(await knex()('django_session').where({ session_key: key }).first()).to.equal(undefined);
        expect((await c.get('/admin/')).status).to.equal(302);
      });
    });

    describe('permissions', () => {
      it('lets a staff user with only view_room list rooms but not change them; a 403 writes nothing', async () => {
        await knex()('User_user').where({ id: 2 }).update({ is_staff: true });
        await grant(2, 'view_room');
        const c = new AdminClient(srv.baseUrl);
        expect((await c.login(RIYA.email, RIYA.password)).status).to.equal(302);
        let r = await c.get('/admin/api/resources/Chat.room/actions/list');
        expect(r.status).to.equal(200);
        expect(r.json().meta.total).to.equal(4);
        expect((await c.get('/admin/Chat/room/')).headers.get('location')).to.equal('/admin/resources/Chat.room');
        // The change URL shows the read-only page.
        expect((await c.get('/admin/Chat/room/1/change/')).headers.get('location')).to.equal('/admin/resources/Chat.room/records/1/show');
        const params = await c.recordParams('Chat.room', 1);
        r = await c.post('/admin/api/resources/Chat.room/records/1/edit', { ...params, name: 'renamed' });
        expect(r.status).to.equal(403);
        r = await c.post('/admin/api/resources/Chat.room/records/1/delete', {});
        expect(r.status).to.equal(403);
        r = await c.post('/admin/api/resources/Chat.room/actions/new', { name: 'new room' });
        expect(r.status).to.equal(403);
        expect((await c.get('/admin/Chat/room/add/')).status).to.equal(403);
        expect((await c.get('/admin/Domain/domain/')).status).to.equal(403);
        expect((await c.get('/admin/api/resources/Domain.domain/actions/list')).status).to.equal(403);
        expect((await c.get('/admin/api/resources/User.user/records/1/show')).status).to.equal(403);
        // Every other action needs its own permission too: history, bulk delete, set password, pickers.
        expect((await c.get('/admin/api/resources/Domain.domain/records/1/history')).status).to.equal(403);
        expect((await c.get('/admin/Domain/domain/1/history/')).status).to.equal(403);
        expect((await c.get('/admin/api/resources/Chat.room/records/1/history')).status).to.equal(200);
        expect((await c.post('/admin/api/resources/Chat.room/bulk/bulkDelete?recordIds=1,2', {})).status).to.equal(403);
        expect(
          (await c.post('/admin/api/resources/User.user/records/2/setPassword', { password1: 'Pw!12345x', password2: 'Pw!12345x' })).status,
        ).to.equal(403);
        expect((await c.get('/admin/api/resources/User.user/actions/search/kabir')).status).to.equal(403);
        expect((await c.get('/admin/api/resources/auth.permission/actions/search/view')).status).to.equal(403);
        // Django's URLs are case-sensitive: a case variant is no way around the permission check.
        for (const variant of [
          '/admin/API/resources/Chat.room/records/1/edit',
          '/admin/api/RESOURCES/Chat.room/records/1/edit',
          '/admin/api/resources/Chat.room/Records/1/edit',
        ]) {
          expect((await c.post(variant, { ...params, name: 'renamed' })).status, variant).to.equal(404);
        }
        expect((await c.get('/admin/api/Resources/User.user/records/1/show')).status).to.equal(404);
        expect((await c.get('/admin/API/resources/Domain.domain/actions/list')).status).to.equal(404);
        expect((await knex()('Chat_room').where({ id: 1 }).first()).name).to.equal('2nd_year');
        expect(await logRows()).to.deep.equal([]);
        // The resource list the page gets only links what the user may see.
        const page = (await c.get('/admin/')).text;
        const state = JSON.parse(/window\.REDUX_STATE = (.*);$/m.exec(page)![1]);
        const linked = state.resources.filter((x: { href: string | null }) => x.href).map((x: { id: string }) => x.id);
        expect(linked).to.deep.equal(['Chat.room']);
      });

      it('grants through groups, and change implies view', async () => {
        await knex()('User_user').where({ id: 2 }).update({ is_staff: true });
        await grant(2, 'change_domain', true);
        const c = new AdminClient(srv.baseUrl);
        await c.login(RIYA.email, RIYA.password);
        expect((await c.get('/admin/api/resources/Domain.domain/actions/list')).status).to.equal(200);
        const params = await c.recordParams('Domain.domain', 2);
        const r = await c.post('/admin/api/resources/Domain.domain/records/2/edit', { ...params, goals: 'New goals.' });
        expect(r.status).to.equal(200);
        expect((await knex()('Domain_domain').where({ id: 2 }).first()).goals).to.equal('New goals.');
        expect((await c.post('/admin/api/resources/Domain.domain/records/2/delete', {})).status).to.equal(403);
      });

      it('lets a user who may change rooms search users in the members picker, without listing users', async () => {
        await knex()('User_user').where({ id: 2 }).update({ is_staff: true });
        await grant(2, 'change_room');
        const c = new AdminClient(srv.baseUrl);
        await c.login(RIYA.email, RIYA.password);
        const r = await c.get('/admin/api/resources/User.user/actions/search/kabir');
        expect(r.status).to.equal(200);
        expect(r.json().records.map((x: { title: string }) => x.title)).to.deep.equal(['kabir.singh@akgec.ac.in']);
        expect((await c.get('/admin/api/resources/User.user/actions/list')).status).to.equal(403);
        expect((await c.get('/admin/api/resources/Domain.domain/actions/search/ML')).status).to.equal(403);
      });

      it('refuses a non-staff user even with permissions, and a staff user who lost is_staff since', async () => {
        await grant(3, 'view_room');
        const c = new AdminClient(srv.baseUrl);
        expect((await c.login('kabir.singh@akgec.ac.in', 'Kabir!2ndYear')).status).to.equal(200);
        await knex()('User_user').where({ id: 2 }).update({ is_staff: true });
        await grant(2, 'view_room');
        const riya = new AdminClient(srv.baseUrl);
        await riya.login(RIYA.email, RIYA.password);
        expect((await riya.get('/admin/api/resources/Chat.room/actions/list')).status).to.equal(200);
        await knex()('User_user').where({ id: 2 }).update({ is_staff: false });
        expect((await riya.get('/admin/api/resources/Chat.room/actions/list')).status).to.equal(403);
        expect((await riya.get('/admin/Chat/room/')).status).to.equal(302);
      });

      it('needs the CSRF header on AdminJS API posts', async () => {
        const c = await superuser();
        const params = await c.recordParams('Chat.room', 1);
        let r = await c.post('/admin/api/resources/Chat.room/records/1/edit', { ...params, description: 'x' }, { 'X-CSRFToken': '' });
        expect(r.status).to.equal(403);
        r = await c.post('/admin/api/resources/Chat.room/records/1/edit', { ...params, description: 'x' }, { 'X-CSRFToken': 'a'.repeat(32) });
        expect(r.status).to.equal(403);
        expect(r.json().error).to.equal("CSRF verification failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.");
        expect((await knex()('Chat_room').where({ id: 1 }).first()).description).to.equal('All 2nd year CSI members');
      });
    });

    describe('audit rows, forms and history', () => {
      it('writes the recorded django_admin_log rows for a change, an add and a delete', async () => {
        const c = await superuser();
        const params = await c.recordParams('Chat.room', 1);
        let r = await c.post('/admin/api/resources/Chat.room/records/1/edit', { ...params, description: 'Second-year members' });
        expect(r.status).to.equal(200);
        expect(r.json().record.errors).to.deep.equal({});
        r = await c.post('/admin/api/resources/Domain.domain/actions/new', {
          name: 'FULL_STACK',
          description: 'Full stack web development.',
          goals: '',
        });
        expect(r.status).to.equal(200);
        expect(r.json().record.params.id).to.equal(5);
        r = await c.post('/admin/api/resources/Domain.domain/records/5/delete', {});
        expect(r.status).to.equal(200);
        expect(await knex()('Domain_domain').where({ id: 5 }).first()).to.equal(undefined);
        const room = await ct('Chat', 'room');
        const domain = await ct('Domain', 'domain');
        expect(await logRows()).to.deep.equal([
          {
            object_id: '1',
            object_repr: '2nd_year',
            action_flag: 2,
            change_message: '[{"changed": {"fields": ["Description"]}}]',
            content_type_id: room,
            user_id: 1,
          },
          {
            object_id: '5',
            object_repr: 'Full Stack Development',
            action_flag: 1,
            change_message: '[{"added": {}}]',
            content_type_id: domain,
            user_id: 1,
          },
          { object_id: '5', object_repr: 'Full Stack Development', action_flag: 3, change_message: '', content_type_id: domain, user_id: 1 },
        ]);
        // History page data, oldest first; an entry Django's admin wrote before the switch is listed too.
        await knex()('django_admin_log').insert({
          action_time: '2025-03-01T10:00:00Z',
          object_id: '1',
          object_repr: '2nd_year',
          action_flag: 2,
          change_message: '[{"changed": {"fields": ["Is active"]}}]',
          content_type_id: room,
          user_id: 2,
        });
        r = await c.get('/admin/api/resources/Chat.room/records/1/history');
        expect(
          r.json().history.map((h: { user: string; action_flag: number; change_message: string }) => [h.user, h.action_flag, h.change_message]),
        ).to.deep.equal([
          [RIYA.email, 2, '[{"changed": {"fields": ["Is active"]}}]'],
          [ANAGH.email, 2, '[{"changed": {"fields": ["Description"]}}]'],
        ]);
        // Another object's entries stay off it.
        expect((await c.get('/admin/api/resources/Domain.domain/records/1/history')).json().history).to.deep.equal([]);
        expect((await c.get('/admin/Chat/room/1/history/')).headers.get('location')).to.equal('/admin/resources/Chat.room/records/1/history');
      });

      it('answers invalid form values with inline errors and writes nothing', async () => {
        const c = await superuser();
        const params = await c.recordParams('Chat.room', 1);
        const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
          ['Chat.room/records/1/edit', { ...params, name: 'x'.repeat(51) }, { name: 'Ensure this value has at most 50 characters (it has 51).' }],
          ['Chat.room/records/1/edit', { ...params, name: 'backend_2_3' }, { name: 'Room with this Name already exists.' }],
          ['Chat.room/records/1/edit', { ...params, name: '   ' }, { name: 'This field is required.' }],
          [
            'Chat.room/records/1/edit',
            { ...params, 'members.5': '999' },
            { members: 'Select a valid choice. 999 is not one of the available choices.' },
          ],
          [
            'Domain.domain/actions/new',
            { name: 'DEVOPS', description: 'x' },
            { name: 'Select a valid choice. DEVOPS is not one of the available choices.' },
          ],
          ['Domain.domain/actions/new', { name: 'ML', description: 'x' }, { name: 'Domain with this Name already exists.' }],
          ['Domain.domain/actions/new', { name: 'FULL_STACK' }, { description: 'This field is required.' }],
          [
            'Chat.message/actions/new',
            { room: '1', sender: '99999', content: 'hi' },
            { sender: 'Select a valid choice. That choice is not one of the available choices.' },
          ],
          [
            'Chat.message/actions/new',
            { room: 'abc', sender: '1', content: 'hi' },
            { room: 'Select a valid choice. That choice is not one of the available choices.' },
          ],
          ['User.user/actions/new', { email: 'not-an-email', first_name: 'X', year: '2nd' }, { email: 'Enter a valid email address.' }],
          ['User.user/actions/new', { email: ANAGH.email, first_name: 'X', year: '2nd' }, { email: 'User with this Email already exists.' }],
          ['User.user/records/3/edit', { linkedin_url: 'javascript:alert(1)' }, { linkedin_url: 'Enter a valid URL.' }],
          [
            'Event.event/actions/new',
            { title: 't', description: 'd', amount: '123456789.5' },
            { amount: 'Ensure that there are no more than 8 digits before the decimal point.' },
          ],
          ['Event.event/actions/new', { title: 't', description: 'd', event_date: 'tomorrow' }, { event_date: 'Enter a valid date/time.' }],
          [
            'Task.task/actions/new',
            { title: 't', start_date: '2025-02-30', end_date: '2025-03-01', assigned_by: '1', current_progress: '1' },
            { start_date: 'Enter a valid date.' },
          ],
          [
            'Task.task/actions/new',
            { title: 't', start_date: '2025-02-01', end_date: '2025-03-01', assigned_by: '1', current_progress: '99999999999' },
            { current_progress: 'Ensure this value is less than or equal to 2147483647.' },
          ],
          ['Chat.message/records/1/edit', { reactions: '{bad json' }, { reactions: 'Enter a valid JSON.' }],
        ];
        const before = JSON.stringify(
          await Promise.all(
            ['Chat_room', 'Chat_room_members', 'Domain_domain', 'Chat_message', 'User_user', 'Event_event', 'Task_task'].map((t) =>
              knex()(t).orderBy('id').select(),
            ),
          ),
        );
        for (const [p, fields, errors] of cases) {
          const r = await c.post(`/admin/api/resources/${p}`, fields);
          expect(r.status, p).to.equal(200);
          const got = Object.fromEntries(
            Object.entries(r.json().record.errors as Record<string, { message: string }>).map(([k, v]) => [k, v.message]),
          );
          expect(got, `${p} ${JSON.stringify(fields).slice(0, 80)}`).to.deep.include(errors);
          expect(r.json().notice.type).to.equal('error');
        }
        const after = JSON.stringify(
          await Promise.all(
            ['Chat_room', 'Chat_room_members', 'Domain_domain', 'Chat_message', 'User_user', 'Event_event', 'Task_task'].map((t) =>
              knex()(t).orderBy('id').select(),
            ),
          ),
        );
        expect(after).to.equal(before);
        expect(await logRows()).to.deep.equal([]);
      });

      it('answers 404 for ids and models that do not exist', async () => {
        const c = await superuser();
        expect((await c.get('/admin/Chat/room/999/change/')).status).to.equal(404);
        expect((await c.get('/admin/Chat/room/abc/change/')).status).to.equal(404);
        expect((await c.get('/admin/Chat/nosuchmodel/')).status).to.equal(404);
        expect((await c.get('/admin/api/resources/Chat.room/records/999/show')).status).to.equal(404);
        expect((await c.post('/admin/api/resources/Chat.room/records/999/edit', { name: 'x' })).status).to.equal(404);
        expect((await c.post('/admin/api/resources/Chat.room/records/999/delete', {})).status).to.equal(404);
        expect((await c.get('/admin/api/resources/No.such/actions/list')).status).to.equal(404);
        expect((await c.get('/admin/resources/Chat.room/records/999/show')).status).to.equal(404);
      });

      it('answers unique_together clashes with the form-wide error (not a success) and writes nothing', async () => {
        const c = await superuser();
        const status = await knex()('Chat_userroomstatus').orderBy('id').first();
        const before = await knex()('Chat_userroomstatus').orderBy('id').select();
        let r = await c.post('/admin/api/resources/Chat.userroomstatus/actions/new', { user: String(status.user_id), room: String(status.room_id) });
        expect(r.status).to.equal(200);
        expect(r.json().notice).to.deep.equal({ message: 'User room status with this User and Room already exists.', type: 'error' });
        expect(r.json().redirectUrl).to.equal(undefined);
        // A change into a clash, too.
        const other = await knex()('Chat_userroomstatus').where('user_id', status.user_id).whereNot('room_id', status.room_id).first();
        if (other) {
          r = await c.post(`/admin/api/resources/Chat.userroomstatus/records/${other.id}/edit`, { room: String(status.room_id) });
          expect(r.json().notice).to.deep.equal({ message: 'User room status with this User and Room already exists.', type: 'error' });
        }
        r = await c.post('/admin/api/resources/Attendance.attendance/actions/new', {
          date: '2025-01-01',
          check_in_latitude: '28.6',
          check_in_longitude: '77.4',
          user: '1',
        });
        expect(r.json().notice.type).to.equal('success');
        r = await c.post('/admin/api/resources/Attendance.attendance/actions/new', {
          date: '2025-01-01',
          check_in_latitude: '28.6',
          check_in_longitude: '77.4',
          user: '1',
        });
        expect(r.json().notice).to.deep.equal({ message: 'Attendance with this User and Date already exists.', type: 'error' });
        expect(await knex()('Chat_userroomstatus').orderBy('id').select()).to.deep.equal(before);
        expect(Number((await knex()('Attendance_attendance').where({ user_id: 1, date: '2025-01-01' }).count({ n: '*' }).first())!.n)).to.equal(1);
        expect((await logRows()).map((l) => l.action_flag)).to.deep.equal([1]);
      });

      it('answers odd ids, filters and values with 404s, empty lists and form errors, never a 500', async () => {
        const c = await superuser();
        // Ids past what the (32-bit) id column holds, and a U+0000 in a string key.
        for (const p of [
          '/admin/Chat/message/2147483648/change/',
          '/admin/Chat/message/99999999999/history/',
          '/admin/auth/group/2147483648/change/',
          '/admin/authtoken/tokenproxy/%00/change/',
          '/admin/api/resources/Chat.message/records/2147483648/show',
          '/admin/api/resources/authtoken.tokenproxy/records/%00/show',
        ]) {
          expect((await c.get(p)).status, p).to.equal(404);
        }
        const total = async (p: string) => {
          const r = await c.get(`/admin/api/resources/${p}`);
          expect(r.status, `${p}: ${r.text.slice(0, 200)}`).to.equal(200);
          return r.json().meta.total as number;
        };
        const rooms = await total('Chat.room/actions/list');
        const messages = await total('Chat.message/actions/list');
        // Values the column cannot hold match nothing, or (dates) leave the filter out.
        expect(await total('Chat.room/actions/list?filters.created_at=1')).to.equal(rooms);
        expect(await total('Chat.room/actions/list?filters.created_at=2025-02-30')).to.equal(rooms);
        expect(await total('Chat.room/actions/list?filters.created_at~~from=2025-02-30&filters.created_at~~to=x')).to.equal(rooms);
        expect(await total('Task.task/actions/list?filters.start_date=2025-02-30')).to.be.a('number');
        expect(await total('Task.task/actions/list?filters.current_progress=99999999999')).to.equal(0);
        expect(await total('Task.task/actions/list?filters.current_progress~~from=1e308')).to.be.a('number');
        expect(await total('Chat.message/actions/list?filters.id=99999999999')).to.equal(0);
        expect(await total('Chat.message/actions/list?filters.parent_message=2147483648')).to.equal(0);
        expect(await total('Attendance.attendance/actions/list?filters.check_in_latitude~~from=1e400')).to.be.a('number');
        expect(await total('Chat.room/actions/list?filters.constructor=1&filters.toString~~from=1')).to.equal(rooms);
        expect(await total('Chat.room/actions/list?filters.q=a%00b')).to.equal(0);
        expect(await total('Chat.room/actions/list?filters.name=a%00b')).to.equal(0);
        // JSON columns are searched as their text.
        const liked = await knex()('Chat_message').whereRaw(`reactions::text like '%"%'`).count({ n: '*' }).first();
        expect(await total('Chat.message/actions/list?filters.reactions=%22')).to.equal(Number(liked!.n));
        expect(await total('Chat.message/actions/list?filters.status=zzz-none')).to.equal(0);
        expect(messages).to.be.above(0);
        // Form values: Django's errors, nothing written.
        const before = JSON.stringify(await knex()('Chat_message').orderBy('id').select());
        const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
          [
            'Chat.message/records/1/edit',
            { parent_message: '2147483648' },
            { parent_message: 'Select a valid choice. That choice is not one of the available choices.' },
          ],
          ['Chat.message/records/1/edit', { pinned_at: '2025-02-30T00:00:00Z' }, { pinned_at: 'Enter a valid date/time.' }],
          ['Chat.message/records/1/edit', { content: 'a\u0000b' }, { content: 'Null characters are not allowed.' }],
          ['Chat.message/records/1/edit', { reactions: '{"x": "\\u0000"}' }, { reactions: 'Null characters are not allowed.' }],
          ['Domain.domain/records/1/edit', { description: 'x\u0000' }, { description: 'Null characters are not allowed.' }],
          [
            'auth.group/actions/new',
            { name: 'g', 'permissions.0': '2147483648' },
            { permissions: 'Select a valid choice. 2147483648 is not one of the available choices.' },
          ],
        ];
        for (const [p, fields, errors] of cases) {
          const r = await c.post(`/admin/api/resources/${p}`, fields);
          expect(r.status, `${p}: ${r.text.slice(0, 200)}`).to.equal(200);
          const got = Object.fromEntries(
            Object.entries(r.json().record.errors as Record<string, { message: string }>).map(([k, v]) => [k, v.message]),
          );
          expect(got, p).to.deep.equal(errors);
        }
        expect(JSON.stringify(await knex()('Chat_message').orderBy('id').select())).to.equal(before);
        expect(await knex()('auth_group').where({ name: 'g' }).first()).to.equal(undefined);
        expect(await logRows()).to.deep.equal([]);
      });

      it('stores uploads under generated names: a path in the file name never reaches the disk', async () => {
        const c = await superuser();
        const params = await c.recordParams('Chat.room', 2);
        const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
        const evil = '../../../../../../tmp/csi-admin-evil.png';
        fs.rmSync('/tmp/csi-admin-evil.png', { force: true });
        const r = await c.post('/admin/api/resources/Chat.room/records/2/edit', {
          ...params,
          room_avatar: { blob: new Blob([png], { type: 'image/png' }), filename: evil },
        });
        expect(r.status).to.equal(200);
        const stored = (await knex()('Chat_room').where({ id: 2 }).first()).room_avatar as string;
        expect(stored).to.match(/^media\/room_avatars\/[0-9a-f]{20}\.png$/);
        expect(fs.existsSync('/tmp/csi-admin-evil.png')).to.equal(false);
        const onDisk = path.join(srv.ctx.config.mediaRoot, stored.slice('media/'.length));
        expect(fs.readFileSync(onDisk)).to.deep.equal(png);
        const log = (await logRows()).pop();
        expect(log.change_message).to.equal('[{"changed": {"fields": ["Room avatar"]}}]');
        fs.rmSync(onDisk, { force: true });
        // A file field takes a file, not a path: text other than the current value is ignored (as
        // Django's file inputs), so no client-chosen name is ever stored.
        const again = await c.recordParams('Chat.room', 2);
        expect(again.room_avatar).to.equal(stored);
        let res = await c.post('/admin/api/resources/Chat.room/records/2/edit', { ...again, room_avatar: 'media/../../../../etc/passwd' });
        expect(res.json().record.errors).to.deep.equal({});
        expect((await knex()('Chat_room').where({ id: 2 }).first()).room_avatar).to.equal(stored);
        res = await c.post('/admin/api/resources/Domain.domain/actions/new', { name: 'FULL_STACK', description: 'x', image: '../../secret.png' });
        expect(res.json().record.errors).to.deep.equal({});
        expect((await knex()('Domain_domain').where({ name: 'FULL_STACK' }).first()).image).to.equal(null);
        res = await c.post('/admin/api/resources/Media.mediafile/actions/new', { file: '/etc/passwd', title: 't' });
        expect(res.json().record.errors.file.message).to.equal('This field is required.');
        // Clearing still works.
        res = await c.post('/admin/api/resources/Chat.room/records/2/edit', { room_avatar: '__FORM_VALUE_NULL__' });
        expect(res.json().record.errors).to.deep.equal({});
        expect((await knex()('Chat_room').where({ id: 2 }).first()).room_avatar).to.equal(null);
      });

      it("sets a user's password (pbkdf2_sha256), which ends their sessions and works for POST /api/user/login/", async () => {
        const c = await superuser();
        // Kabir also has a (Django-format) session, e.g. from the old server.
        await knex()('User_user').where({ id: 3 }).update({ is_staff: true });
        const kabir = new AdminClient(srv.baseUrl);
        expect((await kabir.login('kabir.singh@akgec.ac.in', 'Kabir!2ndYear')).status).to.equal(302);
        let r = await c.post('/admin/api/resources/User.user/records/3/setPassword', { password1: 'NewPass!2026', password2: 'different' });
        expect(r.json().record.errors.password2.message).to.equal('The two password fields didn’t match.');
        r = await c.post('/admin/api/resources/User.user/records/3/setPassword', { password1: 'NewPass!2026', password2: 'NewPass!2026' });
        expect(r.status).to.equal(200);
        expect(r.json().notice).to.deep.equal({ message: 'Password changed successfully.', type: 'success' });
        const hash = (await knex()('User_user').where({ id: 3 }).first()).password as string;
        expect(hash).to.match(/^pbkdf2_sha256\$870000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=$/);
        expect((await kabir.get('/admin/')).status).to.equal(302);
        const login = await fetch(`${srv.baseUrl}/api/user/login/`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email: 'kabir.singh@akgec.ac.in', password: 'NewPass!2026' }),
        });
        expect(login.status).to.equal(200);
        expect((await logRows()).pop()).to.deep.include({
          object_id: '3',
          object_repr: 'kabir.singh@akgec.ac.in',
          action_flag: 2,
          change_message: '[{"changed": {"fields": ["password"]}}]',
        });
        // Changing one's own password keeps one's own session.
        r = await c.post('/admin/api/resources/User.user/records/1/setPassword', { password1: 'Mine!2026x', password2: 'Mine!2026x' });
        expect(r.status).to.equal(200);
        expect((await c.get('/admin/')).status).to.equal(200);
        const auth = await authenticateSession(knex(), SECRET, c.cookies.get('sessionid')!);
        expect(auth.kind).to.equal('user');
      });

      it('never shows the password hash, and adds a user with a hashed (or unusable) password', async () => {
        const c = await superuser();
        const shown = await c.get('/admin/api/resources/User.user/records/1/show');
        expect(shown.text).to.not.contain('pbkdf2');
        const list = await c.get('/admin/api/resources/Chat.room/actions/list');
        expect(list.text).to.not.contain('pbkdf2');
        let r = await c.post('/admin/api/resources/User.user/actions/new', {
          email: 'new.organiser@akgec.ac.in',
          first_name: 'New',
          year: '3rd',
          new_password: 'Org@2026pass',
        });
        expect(r.json().record.errors).to.deep.equal({});
        expect(r.text).to.not.contain('pbkdf2');
        const row = await knex()('User_user').where({ email: 'new.organiser@akgec.ac.in' }).first();
        expect(row.password).to.match(/^pbkdf2_sha256\$/);
        expect([row.role, row.status, row.is_active, row.is_staff]).to.deep.equal(['member', 'active', true, false]);
        r = await c.post('/admin/api/resources/User.user/actions/new', { email: 'nopass@akgec.ac.in', first_name: 'No', year: '3rd' });
        expect(r.json().record.errors).to.deep.equal({});
        expect((await knex()('User_user').where({ email: 'nopass@akgec.ac.in' }).first()).password).to.match(/^!/);
      });

      it("lists, searches and filters rooms and messages like the original's ModelAdmins", async () => {
        const c = await superuser();
        const list = async (p: string) => (await c.get(`/admin/api/resources/${p}`)).json();
        let body = await list('Chat.room/actions/list');
        expect(body.records.map((r: { params: { name: string } }) => r.params.name)).to.deep.equal([
          'ml_archive',
          'CSI_2_3',
          'backend_2_3',
          '2nd_year',
        ]);
        expect(body.records[3].params.total_members).to.equal(5);
        body = await list('Chat.room/actions/list?filters.q=backend');
        expect(body.records.map((r: { params: { name: string } }) => r.params.name)).to.deep.equal(['backend_2_3']);
        body = await list('Chat.room/actions/list?filters.q=archived%20ML');
        expect(body.records.map((r: { params: { name: string } }) => r.params.name)).to.deep.equal(['ml_archive']);
        body = await list('Chat.room/actions/list?filters.is_active=false');
        expect(body.meta.total).to.equal(1);
        body = await list('Chat.room/actions/list?filters.q=%25');
        expect(body.meta.total).to.equal(0);
        // Paging: the ordering (-created_at, then -pk) continues across pages.
        body = await list('Chat.room/actions/list?perPage=2&page=2');
        expect([body.meta.total, body.meta.page, body.records.map((r: { params: { name: string } }) => r.params.name)]).to.deep.equal([
          4,
          2,
          ['backend_2_3', '2nd_year'],
        ]);
        body = await list('Chat.message/actions/list?filters.room=2&filters.is_deleted=false&perPage=1000');
        const expected = await knex()('Chat_message').where({ room_id: 2, is_deleted: false }).count({ n: '*' }).first();
        expect(body.meta.total).to.equal(Number(expected!.n));
        expect(body.records.length).to.equal(Math.min(Number(expected!.n), 500));
        expect(Object.keys(body.records[0].params)).to.include.members(['content_preview', 'mentions_list']);
        body = await list('Chat.message/actions/list?filters.q=2nd_year');
        const inRoom1 = await knex()('Chat_message').where({ room_id: 1 }).count({ n: '*' }).first();
        expect(body.meta.total).to.equal(Number(inRoom1!.n));
        body = await list('Chat.message/actions/list?filters.created_at~~from=2025-04-12T00:00:00Z&filters.message_type=text');
        const recent = await knex()('Chat_message')
          .where('created_at', '>=', '2025-04-12T00:00:00Z')
          .andWhere({ message_type: 'text' })
          .count({ n: '*' })
          .first();
        expect(body.meta.total).to.equal(Number(recent!.n));
        // Pickers search users by e-mail.
        body = await list('User.user/actions/search/meera');
        expect(body.records.map((r: { title: string }) => r.title)).to.deep.equal(['meera.nair@akgec.ac.in']);
      });
    });

    describe('live effects', () => {
      const room = (token: string, id = 1) => WsClient.connect(`${srv.wsUrl}/ws/chat/${id}/?token=${token}`);

      it('closes the sockets whose access an admin edit ends (4003): room deactivated, member removed, user deactivated, token deleted, room deleted', async () => {
        const c = await superuser();
        const KABIR = userToken('kabir.singh@akgec.ac.in');
        const MEERA = userToken('meera.nair@akgec.ac.in');
        const TANYA = userToken('tanya.gupta@akgec.ac.in');
        const RIYA_T = userToken('riya.sharma@akgec.ac.in');

        // Member removed from room 1: only Tanya's room-1 socket closes.
        const tanya1 = await room(TANYA);
        const kabir1 = await room(KABIR);
        let params = await c.recordParams('Chat.room', 1);
        const members = Object.entries(params)
          .filter(([k]) => k.startsWith('members.'))
          .map(([, v]) => v)
          .filter((v) => v !== '6');
        for (const k of Object.keys(params)) if (k.startsWith('members.')) delete params[k];
        members.forEach((v, i) => (params[`members.${i}`] = v));
        let r = await c.post('/admin/api/resources/Chat.room/records/1/edit', params);
        expect(r.json().record.errors).to.deep.equal({});
        expect((await tanya1.waitClosed()).code).to.equal(4003);
        expect(kabir1.closed).to.equal(null);
        expect((await logRows()).pop().change_message).to.equal('[{"changed": {"fields": ["Members"]}}]');

        // Room deactivated: every member socket of the room closes.
        params = await c.recordParams('Chat.room', 1);
        r = await c.post('/admin/api/resources/Chat.room/records/1/edit', { ...params, is_active: 'false' });
        expect(r.json().record.errors).to.deep.equal({});
        expect((await kabir1.waitClosed()).code).to.equal(4003);
        expect((await logRows()).pop().change_message).to.equal('[{"changed": {"fields": ["Is active"]}}]');

        // User deactivated: all of Meera's sockets close.
        const meera2 = await room(MEERA, 3);
        params = await c.recordParams('User.user', 4);
        r = await c.post('/admin/api/resources/User.user/records/4/edit', { ...params, is_active: 'false' });
        expect(r.status, r.text.slice(0, 300)).to.equal(200);
        expect(r.json().record.errors).to.deep.equal({});
        expect((await meera2.waitClosed()).code).to.equal(4003);

        // Token deleted: the user's sockets close.
        const riya2 = await room(RIYA_T, 2);
        r = await c.post(`/admin/api/resources/authtoken.tokenproxy/records/${RIYA_T}/delete`, {});
        expect(r.status).to.equal(200);
        expect((await riya2.waitClosed()).code).to.equal(4003);

        // Room deleted: its sockets close, and its rows go with it (Django's cascade).
        const kabir2 = await room(KABIR, 2);
        r = await c.post('/admin/api/resources/Chat.room/records/2/delete', {});
        expect(r.status).to.equal(200);
        expect((await kabir2.waitClosed()).code).to.equal(4003);
        expect(Number((await knex()('Chat_message').where({ room_id: 2 }).count({ n: '*' }).first())!.n)).to.equal(0);
        expect(Number((await knex()('Chat_room_members').where({ room_id: 2 }).count({ n: '*' }).first())!.n)).to.equal(0);
      });
    });
  });
}
