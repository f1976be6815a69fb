// Rollback safety: after running on the production database, csi-chat can be switched back to Django.
// csi-chat writes every kind of row it writes in production (through its real HTTP and WebSocket API,
// on the Postgres of DATABASE_URL); then a Django process (test/interop/rollback/, Debian's
// python3-django — 3.2.x here, where production runs 5.1: model loading, full_clean() and the PBKDF2
// hasher are the same for these tables) loads every row of every table through models generated from
// db/schema.sql and runs full_clean() on each; Django's check_password accepts the hashes csi-chat
// wrote, and Django's session code decodes the admin sessions csi-chat wrote and logs their user in;
// and csi-chat reads rows Django's ORM writes (login, rooms, messages, notifications, socket).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resetToSeed, sharedDatabase, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeNeeding, postgresMissing } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { call as request } from '../helpers/http.ts';
import { TestSmtp } from '../helpers/smtp.ts';
import { AdminClient } from '../helpers/adminClient.ts';

/** The calls below name their token and body (JSON, or a form). */
const call = (base: string, method: string, path: string, o: { token?: string; body?: unknown; form?: FormData } = {}) =>
  request(base, method, path, o.token, o.form ?? o.body);
import { startFakeCloudinary, type FakeCloudinary } from '../helpers/fakeCloudinary.ts';
import { INTEROP_PYTHON } from './peer.ts';
import { allTableNames } from '../../src/db/schema.ts';
import { BRANCH_CHOICES, GENDER_CHOICES, STUDENT_YEAR_CHOICES } from '../../src/user/validation.ts';
import { STATUS_CHOICES } from '../../src/event/validation.ts';
import { DEVICE_TYPES } from '../../src/notification/views.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROLLBACK = path.join(HERE, 'rollback', 'rollback.py');
/** SECRET_KEY of both sides (sessions are signed with it). */
const SECRET_KEY = 'csi-chat-rollback-test';

const ANAGH = userToken('anagh.jaiswar@akgec.ac.in'); // admin
const RIYA = userToken('riya.sharma@akgec.ac.in'); // admin
const KABIR = userToken('kabir.singh@akgec.ac.in');
const MEERA = userToken('meera.nair@akgec.ac.in');
const TANYA = userToken('tanya.gupta@akgec.ac.in');

/** What csi-chat knows of the original's model fields beyond the schema: choices, e-mail and URL fields. */
const FIELD_OVERLAYS = {
  'User_studentprofile.branch': { choices: BRANCH_CHOICES },
  'User_studentprofile.year': { choices: STUDENT_YEAR_CHOICES },
  'User_studentprofile.gender': { choices: GENDER_CHOICES },
  'Event_event.status': { choices: STATUS_CHOICES },
  'Notification_devicetoken.device_type': { choices: DEVICE_TYPES },
  'User_user.email': { kind: 'email' },
  'User_user.linkedin_url': { kind: 'url' },
  'User_user.github_url': { kind: 'url' },
  'Task_task.info_url': { kind: 'url' },
};

/** null when the Django side can run, else why not. */
function rollbackUnavailable(): string | null {
  const r = spawnSync(INTEROP_PYTHON, ['-c', 'import django, psycopg2; print(django.__version__)'], { encoding: 'utf8', timeout: 20000 });
  if (r.error) return `${INTEROP_PYTHON} cannot run (${r.error.message}); run .ci/install-interop.sh`;
  if (r.status !== 0)
    return `Django or psycopg2 missing for ${INTEROP_PYTHON} (${r.stderr.trim().split('\n').pop()}); run .ci/install-interop.sh (python3-django python3-psycopg2)`;
  return null;
}

function django<T>(databaseUrl: string, command: string, stdin?: unknown): T & { django: string } {
  const r = spawnSync(INTEROP_PYTHON, [ROLLBACK, command], {
    env: { ...process.env, DATABASE_URL: databaseUrl, SECRET_KEY, CSI_FIELD_OVERLAYS: JSON.stringify(FIELD_OVERLAYS), PYTHONPATH: '' },
    input: stdin === undefined ? '' : JSON.stringify(stdin),
    encoding: 'utf8',
    timeout: 120000,
  });
  if (r.status !== 0) throw new Error(`rollback.py ${command} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T & { django: string };
}

function otpFrom(text: string): string {
  const m = /: (\d{6})\n/.exec(text);
  if (!m) throw new Error(`no OTP in ${JSON.stringify(text)}`);
  return m[1];
}

async function counts(srv: TestServer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of allTableNames()) out[t] = Number((await srv.ctx.db.knex(t).count({ n: '*' }))[0].n);
  return out;
}

// A real PNG (images are decoded, as Django's ImageField does with Pillow).
const PNG = fs.readFileSync(path.join(HERE, '../../fixtures/golden/files/tiny.png'));

describeNeeding('rollback safety: Django reads what csi-chat writes, and the other way round', [postgresMissing, rollbackUnavailable], function () {
  this.timeout(300000);
  let databaseUrl: string;
  let srv: TestServer;
  let smtp: TestSmtp;
  let cloudinary: FakeCloudinary;

  before(async () => {
    databaseUrl = process.env.DATABASE_URL!;
    await resetToSeed(await sharedDatabase('pg'));
    smtp = new TestSmtp();
    await smtp.start();
    cloudinary = await startFakeCloudinary();
    srv = await startServer('pg', { seed: false, env: { ...smtp.env(), ...cloudinary.env(), SECRET_KEY } });
  });
  after(async () => {
    await srv?.close();
    await smtp?.stop();
    await cloudinary?.close();
  });

  it('every row csi-chat writes passes Django full_clean(); Django check_password accepts its hashes', async () => {
    const before = await counts(srv);
    const base = srv.baseUrl;
    const ok = (r: { status: number; text: string }, status: number, what: string) => expect(r.status, `${what}: ${r.text}`).to.equal(status);

    // Users with new hashes: an admin registers a member (password mailed), a student registers and
    // verifies, a member resets a forgotten password; tokens by logging in; profiles filled.
    ok(
      await call(base, 'POST', '/api/user/register/', {
        token: RIYA,
        body: { email: 'neha.kapoor@akgec.ac.in', first_name: 'Neha', last_name: 'Kapoor', year: '3rd' },
      }),
      201,
      'register',
    );
    const nehaPassword = /\nPassword: ([A-Za-z0-9]+)\n/.exec(smtp.to('neha.kapoor@akgec.ac.in')[0].text)![1];
    const student = {
      full_name: 'Aman Kumar Verma',
      email: 'aman.verma@akgec.ac.in',
      password: 'Aman#2025!',
      branch: 'CSE-AIML',
      year: '1st',
      student_number: '2400270100777',
      hosteller: false,
      gender: 'male',
    };
    ok(await call(base, 'POST', '/api/user/student/register/', { body: student }), 201, 'student register');
    ok(
      await call(base, 'POST', '/api/user/student/verify-email/', { body: { email: student.email, otp: otpFrom(smtp.to(student.email)[0].text) } }),
      200,
      'student verify',
    );
    ok(await call(base, 'POST', '/api/user/forgot-password/', { body: { email: 'kabir.singh@akgec.ac.in' } }), 200, 'forgot');
    const kabirOtp = otpFrom(smtp.to('kabir.singh@akgec.ac.in')[0].text);
    ok(
      await call(base, 'POST', '/api/user/reset-password/', {
        body: { email: 'kabir.singh@akgec.ac.in', otp: kabirOtp, password: 'Kabir-New-Pass9' },
      }),
      200,
      'reset',
    );
    const login = await call(base, 'POST', '/api/user/login/', { body: { email: 'arjun.verma@akgec.ac.in', password: 'ArjunML#3rd' } });
    ok(login, 200, 'login (token created)');
    const arjun = login.json.token as string;
    ok(await call(base, 'POST', '/api/user/login/', { body: { email: 'neha.kapoor@akgec.ac.in', password: nehaPassword } }), 200, 'login neha');
    ok(
      await call(base, 'POST', '/api/user/profile/fill/', {
        token: MEERA,
        // POST only, every required field (the original's view has no PUT), multipart as the app sends it.
        body: (() => {
          const form = new FormData();
          form.set('photo', new Blob([PNG], { type: 'image/png' }), 'meera.png');
          for (const [k, v] of Object.entries({
            domain: 'APP_DEV',
            bio: 'Rollback check',
            github_url: 'https://github.com/meera',
            dob: '2005-07-09',
          }))
            form.set(k, v);
          return form;
        })(),
      }),
      200,
      'profile',
    );

    // Rooms and memberships, read statuses.
    const room = await call(base, 'POST', '/api/chat/create-group/', {
      token: RIYA,
      body: { name: 'rollback_room', description: 'made by csi-chat', members: [4, 6] },
    });
    ok(room, 201, 'create group');
    const roomId = room.json.room.id as number;
    ok(await call(base, 'POST', '/api/chat/group/1/add-yourself/', { token: arjun, body: {} }), 200, 'add yourself');
    ok(await call(base, 'POST', `/api/chat/groups/${roomId}/mark-as-read/`, { token: MEERA }), 200, 'mark as read');
    ok(await call(base, 'POST', '/api/chat/groups/1/mark-as-read/', { token: TANYA }), 200, 'mark as read 2');

    // Messages with a reply, mentions (→ notifications), a reaction, a pin, an edit and a delete.
    const a = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${ANAGH}`);
    const sent = async (frame: unknown) => {
      a.send(frame);
      const [f] = await a.take(1);
      return f.json as { id?: number; error?: string };
    };
    const first = await sent({ message: 'rollback: first' });
    const reply = await sent({ message: 'rollback: reply', parent_message_id: first.id });
    const mention = await sent({ message: '@Meera @Tanya rollback', mentions: [4, 6] });
    for (const f of [first, reply, mention]) expect(f.id, JSON.stringify(f)).to.be.a('number');
    expect(await sent({ action: 'react_message', message_id: first.id, reaction: '👍' })).to.not.have.property('error');
    expect(await sent({ action: 'pin_message', message_id: reply.id })).to.not.have.property('error');
    expect(await sent({ action: 'edit_message', message_id: first.id, new_content: 'rollback: first, edited' })).to.not.have.property('error');
    expect(await sent({ action: 'delete_message', message_id: mention.id })).to.not.have.property('error');
    a.ws.close();

    // Tasks and their groups, events, attendance, announcements, device tokens, notifications read.
    const task = new FormData();
    for (const [k, v] of Object.entries({
      title: 'Rollback task',
      description: 'check',
      start_date: '2030-01-01',
      end_date: '2030-01-05',
      current_progress: '10',
      info_url: 'https://example.com/spec',
      groups: '[{"name":"rollback group","members":[3,6]}]',
    }))
      task.append(k, v);
    ok(await call(base, 'POST', '/api/task/create/', { token: ANAGH, form: task }), 201, 'task');
    const event = new FormData();
    for (const [k, v] of Object.entries({
      title: 'Rollback talk',
      description: 'd',
      venue: 'Lab 3',
      event_date: '2030-02-10T10:00:00+05:30',
      status: 'upcoming',
      is_registrations_open: 'true',
      payment_required: 'true',
      amount: '49.50',
    }))
      event.append(k, v);
    event.append('poster', new Blob([PNG], { type: 'image/png' }), 'poster.png');
    event.append('gallery', new Blob([PNG], { type: 'image/png' }), 'g1.png');
    ok(await call(base, 'POST', '/api/event/create/', { token: ANAGH, form: event }), 201, 'event');
    ok(
      await call(base, 'POST', '/api/attendance/checkin/', { token: TANYA, body: { check_in_latitude: 28.6754077, check_in_longitude: 77.503143 } }),
      200,
      'checkin',
    );
    ok(
      await call(base, 'POST', '/api/attendance/checkout/', { token: TANYA, body: { check_out_latitude: 28.6754, check_out_longitude: 77.5031 } }),
      200,
      'checkout',
    );
    ok(
      await call(base, 'POST', '/api/announcement/create/', {
        token: ANAGH,
        body: { message: 'Rollback drill at 5', related_to: 'M', targeting_data: { user_ids: [3, 4] } },
      }),
      201,
      'announcement',
    );
    ok(
      await call(base, 'POST', '/api/notifications/register-device/', {
        token: TANYA,
        body: { device_token: 'rollback-device-1', device_type: 'ios' },
      }),
      201,
      'device',
    );
    // The reset above ended Kabir's old token (README divergences): he logs in again with the new password.
    ok(await call(base, 'PATCH', '/api/notifications/mark-as-read/', { token: KABIR, body: { mark_all: true } }), 403, 'old token after the reset');
    const kabirLogin = await call(base, 'POST', '/api/user/login/', { body: { email: 'kabir.singh@akgec.ac.in', password: 'Kabir-New-Pass9' } });
    ok(kabirLogin, 200, 'login with the new password');
    ok(
      await call(base, 'PATCH', '/api/notifications/mark-as-read/', { token: kabirLogin.json.token as string, body: { mark_all: true } }),
      200,
      'notifications read',
    );
    // Sessions and the admin's rows: an organiser logs in to /admin/ and adds a domain and a permission group.
    const admin = new AdminClient(base);
    ok(await admin.login('anagh.jaiswar@akgec.ac.in', 'Anagh@4thYear'), 302, 'admin log-in');
    const sessionKey = admin.cookies.get('sessionid');
    expect(sessionKey, 'sessionid cookie').to.be.a('string');
    ok(
      await admin.post('/admin/api/resources/Domain.domain/actions/new', {
        name: 'FULL_STACK',
        description: 'Full stack web development.',
        goals: '',
      }),
      200,
      'admin add',
    );
    const permission = (await srv.ctx.db.knex('auth_permission').orderBy('id').first('id')) as { id: number };
    ok(
      await admin.post('/admin/api/resources/auth.group/actions/new', { name: 'Rollback organisers', 'permissions.0': String(permission.id) }),
      200,
      'admin group',
    );
    await new Promise((r) => setTimeout(r, 300)); // last_seen writes after the responses

    const after = await counts(srv);
    const grew = Object.keys(after).filter((t) => after[t] > before[t]);
    expect(grew).to.include.members([
      'User_user',
      'User_studentprofile',
      'User_passwordresetotp',
      'User_user_groups',
      'authtoken_token',
      'Chat_room',
      'Chat_room_members',
      'Chat_userroomstatus',
      'Chat_message',
      'Chat_message_mentions',
      'Notification_notification',
      'Notification_devicetoken',
      'Task_task',
      'Task_group',
      'Task_group_members',
      'Event_event',
      'Event_event_gallery',
      'Media_mediafile',
      'Attendance_attendance',
      'Announcement_announcement',
      'Announcement_announcement_receivers',
      'Domain_domain',
      'auth_group',
      'auth_group_permissions',
      'django_admin_log',
      'django_session',
    ]);

    const report = django<{ tables: Record<string, { rows: number; invalid: Array<{ pk: string; errors: Record<string, string[]> }> }> }>(
      databaseUrl,
      'validate',
    );
    expect(report.django).to.match(/^\d+\.\d+/);
    for (const table of allTableNames()) {
      expect(report.tables[table]?.rows, `${table} loaded by Django`).to.equal(after[table]);
      expect(report.tables[table].invalid, `${table}: full_clean() errors`).to.deep.equal([]);
    }

    const passwords = django<{ results: Array<{ email: string; ok: boolean; wrong_ok: boolean; algorithm: string }> }>(
      databaseUrl,
      'check-passwords',
      [
        { email: 'neha.kapoor@akgec.ac.in', password: nehaPassword },
        { email: student.email, password: student.password },
        { email: 'kabir.singh@akgec.ac.in', password: 'Kabir-New-Pass9' },
      ],
    );
    for (const r of passwords.results) expect(r, r.email).to.deep.equal({ email: r.email, ok: true, wrong_ok: false, algorithm: 'pbkdf2_sha256' });

    // Django decodes the session csi-chat wrote, and django.contrib.auth would log its user in.
    const sessions = django<{
      sessions: Array<{ session_key: string; decoded: boolean; user_id: string | null; backend: string | null; user_ok: boolean }>;
    }>(databaseUrl, 'sessions');
    expect(sessions.sessions.find((x) => x.session_key === sessionKey)).to.deep.equal({
      session_key: sessionKey,
      decoded: true,
      user_id: '1',
      backend: 'django.contrib.auth.backends.ModelBackend',
      user_ok: true,
    });
  });

  it("csi-chat reads the rows Django's ORM writes: login with its hash, its token, room, messages, reply, notification", async () => {
    const w = django<{
      user: { id: number; email: string; password: string };
      token: string;
      room: number;
      message: number;
      reply: { id: number; parent: number };
      notification: number;
    }>(databaseUrl, 'write');
    const base = srv.baseUrl;
    const login = await call(base, 'POST', '/api/user/login/', { body: { email: w.user.email, password: w.user.password } });
    expect(login.status, login.text).to.equal(200);
    expect(login.json.token).to.equal(w.token);
    const rooms = await call(base, 'GET', '/api/chat/groups/', { token: w.token });
    expect(rooms.status).to.equal(200);
    const room = (rooms.json as Array<{ id: number; last_message: { id: number } | null }>).find((r) => r.id === w.room);
    expect(room?.last_message?.id).to.equal(w.reply.id);
    const messages = await call(base, 'GET', `/api/chat/groups/${w.room}/messages/`, { token: w.token });
    expect(messages.status).to.equal(200);
    const listed = messages.json.results as Array<{ id: number; content: string; parent_message: { id: number } | null; reactions: unknown }>;
    const mine = listed.find((m) => m.id === w.message);
    expect(mine?.content).to.equal('written by the Django ORM');
    expect(mine?.reactions).to.deep.equal({ '👍': [w.user.id] });
    expect(listed.find((m) => m.id === w.reply.id)?.parent_message?.id).to.equal(w.reply.parent);
    const unread = await call(base, 'GET', '/api/notifications/unread-count/', { token: w.token });
    expect(unread.json).to.deep.equal({ unread_count: 1 });
    const socket = await WsClient.connect(`${srv.wsUrl}/ws/chat/${w.room}/?token=${w.token}`);
    socket.send({ message: 'csi-chat speaking for a Django-made user' });
    const [echo] = await socket.take(1);
    expect(echo.json).to.deep.include({ message: 'csi-chat speaking for a Django-made user', is_self: true, room: w.room });
    socket.ws.close();
    // And Django still validates everything, its rows and csi-chat's.
    const report = django<{ tables: Record<string, { invalid: unknown[] }> }>(databaseUrl, 'validate');
    for (const [table, t] of Object.entries(report.tables)) expect(t.invalid, table).to.deep.equal([]);
  });
});
