// /api/task/: create (form/multipart, groups as a JSON string, notifications + push to every group
// member), edit, delete (admin rules), list, my-tasks (kotlin endpoint 15), display-name-list.
// Whole-body assertions on the seeded tasks; bad input answers DRF-shaped 400s and writes nothing.
import { expect } from 'chai';
import type { PushNotification } from '../../src/notification/push.ts';
import { kolkataToday, taskStatus } from '../../src/task/serializers.ts';
import { parseDate } from '../../src/drf/fields/date.ts';
import { isValidUrl as validUrl } from '../../src/drf/validators/url.ts';
import { userToken } from '../helpers/harness.ts';
import { call } from '../helpers/http.ts';
import { describeServer } from '../helpers/suites.ts';

const ANAGH = userToken('anagh.jaiswar@akgec.ac.in'); // 1: admin 4th
const RIYA = userToken('riya.sharma@akgec.ac.in'); // 2: admin 3rd
const KABIR = userToken('kabir.singh@akgec.ac.in'); // 3: member 2nd, domain BACKEND
const MEERA = userToken('meera.nair@akgec.ac.in'); // 4: member 2nd, domain APP_DEV
const TANYA = userToken('tanya.gupta@akgec.ac.in'); // 6: student 2nd, no domain
const DEV = userToken('dev.outsider@akgec.ac.in'); // 7: member 3rd

const TASK1 = {
  id: 1,
  title: 'Login API',
  description: 'Build DRF token login.',
  start_date: '2025-04-10',
  end_date: '2025-04-20',
  status: 'pending',
  current_progress: 40,
  attachment: null,
  info_url: null,
  groups: [
    {
      id: 1,
      name: 'Backend squad',
      members: [
        { id: 3, full_name: 'Kabir Singh', domain: 'BACKEND' },
        { id: 4, full_name: 'Meera Nair', domain: 'APP_DEV' },
      ],
    },
  ],
};
const TASK2 = {
  id: 2,
  title: 'App onboarding screens',
  description: null,
  start_date: '2025-03-01',
  end_date: '2025-03-15',
  status: 'completed',
  current_progress: 100,
  attachment: null,
  info_url: null,
  groups: [{ id: 2, name: 'App squad', members: [{ id: 4, full_name: 'Meera Nair', domain: 'APP_DEV' }] }],
};

function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso + 'T00:00:00Z') + days * 86400000).toISOString().slice(0, 10);
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields);

describe('task helpers', () => {
  it('get_status: dates override current/pending unless completed; today is the Kolkata date', () => {
    const t = (start_date: string, end_date: string, status: string) => taskStatus({ start_date, end_date, status }, '2026-11-29');
    expect(t('2026-11-01', '2026-11-29', 'pending')).to.equal('current');
    expect(t('2026-11-29', '2026-11-29', 'current')).to.equal('current');
    expect(t('2026-11-01', '2026-11-28', 'current')).to.equal('pending');
    expect(t('2026-11-30', '2026-12-28', 'pending')).to.equal('pending');
    expect(t('2026-11-30', '2026-12-28', 'current')).to.equal('current');
    expect(t('2026-11-01', '2026-11-28', 'completed')).to.equal('completed');
    expect(t('2026-11-01', '2026-12-28', 'completed')).to.equal('completed');
    // 20:00 UTC is 01:30 the next day in Kolkata.
    expect(kolkataToday(Date.parse('2026-11-29T20:00:00Z'))).to.equal('2026-11-30');
    expect(kolkataToday(Date.parse('2026-11-29T18:29:59Z'))).to.equal('2026-11-29');
  });

  it('parse_date and URLValidator like Django 5.1', () => {
    expect(parseDate('2025-04-10')).to.equal('2025-04-10');
    expect(parseDate('20250410')).to.equal('2025-04-10');
    expect(parseDate('2025-4-1')).to.equal('2025-04-01');
    expect(parseDate('2025-4-1\n')).to.equal('2025-04-01');
    for (const bad of ['2025-02-30', '2025-13-01', '0000-01-01', '10/04/2025', '2025-04-10T00:00', '', ' 2025-04-10', 5]) {
      expect(parseDate(bad), String(bad)).to.equal(null);
    }
    for (const ok of [
      'https://example.com',
      'http://localhost:8000/x?y=1#z',
      'ftp://10.0.0.1/f',
      'https://müller.de/ä',
      'http://[::1]/',
      'https://a.b.co.',
    ]) {
      expect(validUrl(ok), ok).to.equal(true);
    }
    for (const bad of [
      'example.com',
      'https://',
      'mailto:a@b.c',
      'https://exa mple.com',
      'https://-a.com',
      'https://a.c',
      'javascript://x',
      'http://a.com\n',
    ]) {
      expect(validUrl(bad), bad).to.equal(false);
    }
  });
});

const pushes: Array<{ userIds: number[]; n: PushNotification }> = [];
describeServer('task REST', { timeout: 120000, build: { push: { send: async (userIds, n) => void pushes.push({ userIds, n }) } } }, (srv) => {
  beforeEach(() => {
    pushes.length = 0;
  });

  const counts = async () => {
    const k = srv.ctx.db.knex;
    const out: Record<string, number> = {};
    for (const t of ['Task_task', 'Task_group', 'Task_group_members', 'Notification_notification'])
      out[t] = Number((await k(t).count({ n: '*' }).first())!.n);
    return out;
  };

  it('list/ returns every task in TaskSerializer shape (key order, computed status)', async () => {
    const res = await call(srv, 'GET', '/api/task/list/', TANYA);
    expect(res.status).to.equal(200);
    expect(res.type).to.equal('application/json');
    expect(res.text).to.equal(JSON.stringify([TASK1, TASK2]));
  });

  it("my-tasks/ buckets the member's tasks: all three arrays always present", async () => {
    expect((await call(srv, 'GET', '/api/task/my-tasks/', KABIR)).text).to.equal(JSON.stringify({ current: [], pending: [TASK1], completed: [] }));
    expect((await call(srv, 'GET', '/api/task/my-tasks/', MEERA)).text).to.equal(
      JSON.stringify({ current: [], pending: [TASK1], completed: [TASK2] }),
    );
    expect((await call(srv, 'GET', '/api/task/my-tasks/', TANYA)).text).to.equal('{"current":[],"pending":[],"completed":[]}');
  });

  it("my-tasks/ keys an unknown stored status after the three (the original's dict insertion order)", async () => {
    const knex = srv.ctx.db.knex;
    const [{ id }] = await knex('Task_task')
      .insert({
        title: 'Later',
        description: null,
        start_date: '2099-01-01',
        end_date: '2099-01-02',
        status: 'archived',
        created_at: '2025-01-01 00:00:00+00',
        updated_at: '2025-01-01 00:00:00+00',
        current_progress: 0,
        attachment: null,
        info_url: null,
        assigned_by_id: 1,
      })
      .returning('id');
    const [{ id: gid }] = await knex('Task_group').insert({ name: 'g', task_id: id }).returning('id');
    await knex('Task_group_members').insert({ group_id: gid, user_id: 3 });
    const body = (await call(srv, 'GET', '/api/task/my-tasks/', KABIR)).json as Record<string, Array<{ id: number; status: string }>>;
    expect(Object.keys(body)).to.deep.equal(['current', 'pending', 'completed', 'archived']);
    expect(body.archived!.map((t) => [t.id, t.status])).to.deep.equal([[Number(id), 'archived']]);
  });

  it('list/ and my-tasks/ cost the same number of queries for 2 tasks and for 60', async () => {
    const knex = srv.ctx.db.knex;
    const countQueries = async (path: string) => {
      let n = 0;
      // Task queries only (the auth lookup and the last_seen update are not the view's).
      const onQuery = (q: { sql: string }) => void (q.sql.includes('Task_') && n++);
      knex.on('query', onQuery);
      try {
        expect((await call(srv, 'GET', path, MEERA)).status).to.equal(200);
      } finally {
        knex.removeListener('query', onQuery);
      }
      return n;
    };
    const small = [await countQueries('/api/task/list/'), await countQueries('/api/task/my-tasks/')];
    for (let i = 0; i < 58; i++) {
      const [{ id }] = await knex('Task_task')
        .insert({
          title: `T${i}`,
          description: null,
          start_date: '2030-01-01',
          end_date: '2030-01-02',
          status: 'current',
          created_at: '2025-01-01 00:00:00+00',
          updated_at: '2025-01-01 00:00:00+00',
          current_progress: 0,
          attachment: null,
          info_url: null,
          assigned_by_id: 1,
        })
        .returning('id');
      const [{ id: gid }] = await knex('Task_group').insert({ name: 'g', task_id: id }).returning('id');
      await knex('Task_group_members').insert([
        { group_id: gid, user_id: 3 },
        { group_id: gid, user_id: 4 },
      ]);
    }
    const large = [await countQueries('/api/task/list/'), await countQueries('/api/task/my-tasks/')];
    expect(large).to.deep.equal(small);
    expect(((await call(srv, 'GET', '/api/task/my-tasks/', MEERA)).json as { current: unknown[] }).current).to.have.length(58);
  });

  it('display-name-list/ is open to anyone; 404 message when there are no tasks', async () => {
    expect(await call(srv, 'GET', '/api/task/display-name-list/', null)).to.deep.include({
      status: 200,
      text: '[{"id":1,"title":"Login API"},{"id":2,"title":"App onboarding screens"}]',
    });
    expect((await call(srv, 'GET', '/api/task/display-name-list/', 'bad-token')).status).to.equal(403);
    await srv.ctx.db.knex('Task_group_members').del();
    await srv.ctx.db.knex('Task_group').del();
    await srv.ctx.db.knex('Task_task').del();
    expect(await call(srv, 'GET', '/api/task/display-name-list/', null)).to.deep.include({ status: 404, text: '{"message":"no tasks availaible"}' });
    expect((await call(srv, 'GET', '/api/task/list/', KABIR)).text).to.equal('[]');
  });

  it('auth and methods: 403 without credentials, 405 with Allow, APPEND_SLASH', async () => {
    for (const p of ['/api/task/list/', '/api/task/my-tasks/']) {
      expect(await call(srv, 'GET', p, null)).to.deep.include({ status: 403, text: '{"detail":"Authentication credentials were not provided."}' });
    }
    expect(await call(srv, 'POST', '/api/task/create/', null, form({}))).to.deep.include({ status: 403 });
    expect(await call(srv, 'GET', '/api/task/create/', ANAGH)).to.deep.include({ status: 405, text: '{"detail":"Method \\"GET\\" not allowed."}' });
    expect(await call(srv, 'POST', '/api/task/edit/1/', ANAGH)).to.deep.include({ status: 405 });
    expect(await call(srv, 'GET', '/api/task/delete/1/', ANAGH)).to.deep.include({ status: 405 });
    expect((await call(srv, 'GET', '/api/task/my-tasks', KABIR)).status).to.equal(301);
    expect((await call(srv, 'GET', '/api/task/edit/abc/', ANAGH)).status).to.equal(404);
  });

  it("OPTIONS shows the view name, its docstring and its parsers like DRF's SimpleMetadata", async () => {
    const opt = await call(srv, 'OPTIONS', '/api/task/edit/1/', KABIR);
    expect(opt.status).to.equal(200);
    expect(opt.json).to.deep.equal({
      name: 'Edit Task Api',
      description:
        'API View to edit an existing Task.\n- Only users with role "admin" (3rd or 4th year) can edit tasks.\n- 3rd-year admins cannot edit tasks that were created by 4th-year admins.\n- Uses PUT for full updates.\n- Groups provided in the payload will merge/update existing groups.',
      renders: ['application/json', 'text/html'],
      parses: ['multipart/form-data', 'application/x-www-form-urlencoded'],
    });
    expect((await call(srv, 'OPTIONS', '/api/task/display-name-list/', null)).json as { name: string; description: string }).to.deep.include({
      name: 'Task Names List Api',
      description: '',
    });
    expect(((await call(srv, 'OPTIONS', '/api/task/list/', KABIR)).json as { description: string }).description).to.equal(
      'API View to list all tasks.',
    );
  });

  it('create/ (4th-year admin, urlencoded): 201 body, rows, one notification per group member, socket-ready payload, push', async () => {
    const today = kolkataToday();
    const groups = JSON.stringify([
      { name: 'Team A', members: [4, 3, 3] },
      { name: 'Team B', members: [2] },
    ]);
    const res = await call(
      srv,
      'POST',
      '/api/task/create/',
      ANAGH,
      form({
        title: '  Ship v2 ',
        description: '',
        start_date: today,
        end_date: addDays(today, 3),
        current_progress: '15',
        info_url: 'https://example.com/spec',
        groups,
      }),
    );
    expect(res.status, res.text).to.equal(201);
    expect(res.json).to.deep.equal({
      message: 'Task and groups created successfully!',
      task: {
        id: 3,
        title: 'Ship v2',
        description: '',
        start_date: today,
        end_date: addDays(today, 3),
        status: 'current',
        current_progress: 15,
        attachment: null,
        info_url: 'https://example.com/spec',
        groups: [
          {
            id: 3,
            name: 'Team A',
            members: [
              { id: 3, full_name: 'Kabir Singh', domain: 'BACKEND' },
              { id: 4, full_name: 'Meera Nair', domain: 'APP_DEV' },
            ],
          },
          { id: 4, name: 'Team B', members: [{ id: 2, full_name: 'Riya Sharma', domain: 'FRONTEND' }] },
        ],
      },
    });
    const task = await srv.ctx.db.knex('Task_task').where({ id: 3 }).first();
    expect(task).to.deep.include({ status: 'current', assigned_by_id: 1, current_progress: 15 });
    const notes = await srv.ctx.db
      .knex('Notification_notification')
      .where('id', '>', 3)
      .orderBy('id')
      .select('id', 'user_id', 'event_type', 'message', 'url', 'is_read');
    expect(notes).to.deep.equal([
      { id: 4, user_id: 3, event_type: 'task', message: 'You have been assigned a new task: Ship v2', url: null, is_read: false },
      { id: 5, user_id: 4, event_type: 'task', message: 'You have been assigned a new task: Ship v2', url: null, is_read: false },
      { id: 6, user_id: 2, event_type: 'task', message: 'You have been assigned a new task: Ship v2', url: null, is_read: false },
    ]);
    expect(pushes).to.deep.equal([
      {
        userIds: [3, 4, 2],
        n: { title: 'New Task Assigned', body: 'You have been assigned a new task: Ship v2', data: { click_action: 'open_task_overview?task_id=3' } },
      },
    ]);
    // Kabir now sees it as current.
    const mine = (await call(srv, 'GET', '/api/task/my-tasks/', KABIR)).json as { current: Array<{ id: number }> };
    expect(mine.current.map((t) => t.id)).to.deep.equal([3]);
  });

  it("create/ sends a frame to each member's notifications group", async () => {
    const frames: Array<{ group: string; msg: unknown }> = [];
    const layer = srv.ctx.layer;
    const orig = layer.groupSend.bind(layer);
    layer.groupSend = async (group, msg) => {
      frames.push({ group, msg });
      return orig(group, msg);
    };
    try {
      const res = await call(
        srv,
        'POST',
        '/api/task/create/',
        RIYA,
        form({ title: 'T', start_date: '2030-01-01', end_date: '2030-01-02', groups: '[{"name":"g","members":[6]}]' }),
      );
      expect(res.status, res.text).to.equal(201);
    } finally {
      layer.groupSend = orig;
    }
    expect(frames).to.have.length(1);
    expect(frames[0]!.group).to.equal('notifications_6');
    const msg = frames[0]!.msg as { type: string; notification: Record<string, unknown> };
    expect(msg.type).to.equal('send_notification');
    expect(Object.keys(msg.notification)).to.deep.equal(['id', 'event_type', 'message', 'url', 'created_at']);
    expect(msg.notification).to.deep.include({ id: 4, event_type: 'task', message: 'You have been assigned a new task: T', url: null });
    expect(msg.notification.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  });

  it('create/ via multipart with an empty group list, no notifications; members without domain omit the key', async () => {
    const fd = new FormData();
    fd.append('title', 'Solo');
    fd.append('start_date', '2030-01-01');
    fd.append('end_date', '2030-01-01');
    fd.append('groups', '[]');
    const res = await call(srv, 'POST', '/api/task/create/', KABIR, fd); // a 2nd-year user may create a task without groups
    expect(res.status, res.text).to.equal(201);
    expect((res.json as { task: { status: string; groups: unknown[] } }).task).to.deep.include({
      status: 'current',
      groups: [],
      description: null,
      current_progress: 0,
    });
    expect(pushes).to.deep.equal([]);
    const res2 = await call(
      srv,
      'POST',
      '/api/task/create/',
      RIYA,
      new URLSearchParams(
        '__proto__=x&constructor=y&title=x&start_date=2030-01-01&end_date=2030-01-01&groups=' + encodeURIComponent('[{"name":"n","members":["6"]}]'),
      ),
    );
    expect(res2.status, res2.text).to.equal(201);
    expect((res2.json as { task: { groups: unknown[] } }).task.groups).to.deep.equal([
      { id: 3, name: 'n', members: [{ id: 6, full_name: 'Tanya Gupta' }] },
    ]);
  });

  it('create/ validation: field errors in declaration order, nested group errors, validate() rules; nothing written', async () => {
    const before = await counts();
    const base = { title: 'T', start_date: '2030-01-01', end_date: '2030-01-02' };
    const cases: Array<[string, Record<string, string>, unknown]> = [
      [
        ANAGH,
        {},
        {
          title: ['This field is required.'],
          start_date: ['This field is required.'],
          end_date: ['This field is required.'],
          groups: ['This field is required.'],
        },
      ],
      [ANAGH, { ...base, groups: 'not json' }, { groups: 'Invalid JSON format for groups.' }],
      [ANAGH, { ...base, groups: '['.repeat(100000) }, { groups: 'Invalid JSON format for groups.' }],
      [ANAGH, { ...base, groups: '{"name":"g"}' }, { groups: { non_field_errors: ['Expected a list of items but got type "dict".'] } }],
      [ANAGH, { ...base, groups: '5' }, { groups: { non_field_errors: ['Expected a list of items but got type "int".'] } }],
      [ANAGH, { ...base, groups: 'null' }, { groups: ['This field may not be null.'] }],
      [
        ANAGH,
        { ...base, groups: '[{"name":"ok","members":[3]}, {"members":[999]}, "x", null, {"name":"","members":"3"}]' },
        {
          groups: [
            {},
            { name: ['This field is required.'], members: ['Invalid pk "999" - object does not exist.'] },
            { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] },
            ['This field may not be null.'],
            { name: ['This field may not be blank.'], members: ['Expected a list of items but got type "str".'] },
          ],
        },
      ],
      [
        ANAGH,
        { ...base, title: '', start_date: '2030-02-30', end_date: 'tomorrow', current_progress: '1.5', info_url: 'nope', groups: '[]' },
        {
          title: ['This field may not be blank.'],
          start_date: ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'],
          end_date: ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'],
          current_progress: ['A valid integer is required.'],
          info_url: ['Enter a valid URL.'],
        },
      ],
      [
        ANAGH,
        { ...base, title: 'x'.repeat(256), current_progress: '2147483648', attachment: 'text', groups: '[]' },
        {
          title: ['Ensure this field has no more than 255 characters.'],
          current_progress: ['Ensure this value is less than or equal to 2147483647.'],
          attachment: ['The submitted data was not a file. Check the encoding type on the form.'],
        },
      ],
      [
        ANAGH,
        { ...base, info_url: 'https://example.com/' + 'a'.repeat(200), groups: '[]' },
        { info_url: ['Ensure this field has no more than 200 characters.'] },
      ],
      [ANAGH, { ...base, end_date: '2029-12-31', groups: '[]' }, { non_field_errors: ['End date cannot be earlier than start date.'] }],
      [KABIR, { ...base, groups: '[{"name":"g","members":[4]}]' }, { non_field_errors: ['2nd-year users cannot assign tasks.'] }],
      [
        RIYA,
        { ...base, groups: '[{"name":"g","members":[3,7]}]' },
        { non_field_errors: ['3rd-year users can only assign tasks to 2nd-year users. Invalid member: 7'] },
      ],
      [
        ANAGH,
        { ...base, groups: '[{"name":"g","members":[7,1]}]' },
        { non_field_errors: ['4th-year users can only assign tasks to 2nd or 3rd-year users. Invalid member: 1'] },
      ],
    ];
    for (const [token, fields, body] of cases) {
      const res = await call(srv, 'POST', '/api/task/create/', token, form(fields));
      expect(res.status, `${JSON.stringify(fields).slice(0, 200)} → ${res.text}`).to.equal(400);
      expect(res.text, JSON.stringify(fields).slice(0, 200)).to.equal(JSON.stringify(body));
    }
    expect(await counts()).to.deep.equal(before);
    expect(pushes).to.deep.equal([]);
  });

  it('create/ and edit/ accept only form bodies (parser_classes): JSON is a 415 naming the header', async () => {
    const json = JSON.stringify({ title: 'T' });
    expect(await call(srv, 'POST', '/api/task/create/', ANAGH, json, 'application/json')).to.deep.include({
      status: 415,
      text: '{"detail":"Unsupported media type \\"application/json\\" in request."}',
    });
    expect(await call(srv, 'POST', '/api/task/create/', ANAGH, json, 'application/json; charset=UTF-8')).to.deep.include({
      status: 415,
      text: '{"detail":"Unsupported media type \\"application/json; charset=UTF-8\\" in request."}',
    });
    expect(await call(srv, 'PUT', '/api/task/edit/1/', ANAGH, json, 'application/json')).to.deep.include({ status: 415 });
    // Permission checks come first on edit (request.data is read after them).
    expect(await call(srv, 'PUT', '/api/task/edit/1/', KABIR, json, 'application/json')).to.deep.include({
      status: 403,
      text: '{"error":"Only admin users can edit tasks."}',
    });
    expect((await call(srv, 'POST', '/api/task/create/', ANAGH, '--x\r\nbroken', 'multipart/form-data; boundary=x')).status).to.equal(400);
  });

  it('edit/: permission rules, full update, groups merged by name, others deleted', async () => {
    expect(await call(srv, 'PUT', '/api/task/edit/99/', KABIR, form({}))).to.deep.include({ status: 404, text: '{"error":"Task not found."}' });
    expect(await call(srv, 'PUT', '/api/task/edit/99999999999999999999/', ANAGH, form({}))).to.deep.include({
      status: 404,
      text: '{"error":"Task not found."}',
    });
    expect(await call(srv, 'PUT', '/api/task/edit/1/', KABIR, form({}))).to.deep.include({
      status: 403,
      text: '{"error":"Only admin users can edit tasks."}',
    });
    expect(await call(srv, 'PUT', '/api/task/edit/2/', RIYA, form({}))).to.deep.include({
      status: 403,
      text: '{"error":"3rd-year admins cannot edit tasks assigned by 4th-year admins."}',
    });
    // PUT is a full update: required fields are required.
    expect(await call(srv, 'PUT', '/api/task/edit/1/', RIYA, form({ title: 'x' }))).to.deep.include({
      status: 400,
      text: '{"start_date":["This field is required."],"end_date":["This field is required."],"groups":["This field is required."]}',
    });
    const groups = JSON.stringify([
      { name: 'Backend squad', members: [6] },
      { name: 'New squad', members: [3, 4] },
    ]);
    const res = await call(
      srv,
      'PUT',
      '/api/task/edit/1/',
      RIYA,
      form({ title: 'Login API v2', start_date: '2030-01-01', end_date: '2030-02-01', current_progress: '55', info_url: '', groups }),
    );
    expect(res.status, res.text).to.equal(200);
    expect(res.json).to.deep.equal({
      message: 'Task updated successfully!',
      task: {
        ...TASK1,
        title: 'Login API v2',
        start_date: '2030-01-01',
        end_date: '2030-02-01',
        status: 'current',
        current_progress: 55,
        info_url: '',
        groups: [
          { id: 1, name: 'Backend squad', members: [{ id: 6, full_name: 'Tanya Gupta' }] },
          {
            id: 3,
            name: 'New squad',
            members: [
              { id: 3, full_name: 'Kabir Singh', domain: 'BACKEND' },
              { id: 4, full_name: 'Meera Nair', domain: 'APP_DEV' },
            ],
          },
        ],
      },
    });
    const row = await srv.ctx.db.knex('Task_task').where({ id: 1 }).first();
    expect(row).to.deep.include({ status: 'current', description: 'Build DRF token login.', assigned_by_id: 2 });
    expect(row.updated_at).to.not.equal('2025-04-09 04:30:00+00');
    // No notifications on edit.
    expect(pushes).to.deep.equal([]);
    // Dropping every group deletes them (and their members).
    const res2 = await call(
      srv,
      'PUT',
      '/api/task/edit/1/',
      ANAGH,
      form({ title: 'x', start_date: '2030-01-01', end_date: '2030-01-01', groups: '[]', description: 'd' }),
    );
    expect(res2.status, res2.text).to.equal(200);
    expect((res2.json as { task: { groups: unknown[]; description: string } }).task).to.deep.include({ groups: [], description: 'd' });
    expect(Number((await srv.ctx.db.knex('Task_group_members').whereIn('group_id', [1, 3]).count({ n: '*' }).first())!.n)).to.equal(0);
  });

  it('edit/ validation errors write nothing', async () => {
    const before = await counts();
    const row = await srv.ctx.db.knex('Task_task').where({ id: 1 }).first();
    const res = await call(
      srv,
      'PUT',
      '/api/task/edit/1/',
      RIYA,
      form({ title: 'x', start_date: '2030-01-01', end_date: '2030-01-01', groups: '[{"name":"g","members":[1]}]' }),
    );
    expect(res).to.deep.include({
      status: 400,
      text: '{"non_field_errors":["3rd-year users can only assign tasks to 2nd-year users. Invalid member: 1"]}',
    });
    expect(await counts()).to.deep.equal(before);
    expect(await srv.ctx.db.knex('Task_task').where({ id: 1 }).first()).to.deep.equal(row);
  });

  it('delete/: 404, admin-only, 3rd-year vs 4th-year rule, cascade', async () => {
    expect(await call(srv, 'DELETE', '/api/task/delete/99/', KABIR)).to.deep.include({ status: 404, text: '{"error":"Task not found."}' });
    expect(await call(srv, 'DELETE', '/api/task/delete/1/', DEV)).to.deep.include({
      status: 403,
      text: '{"error":"Only admin users can delete tasks."}',
    });
    expect(await call(srv, 'DELETE', '/api/task/delete/2/', RIYA)).to.deep.include({
      status: 403,
      text: '{"error":"3rd-year admins cannot delete tasks assigned by 4th-year admins."}',
    });
    expect(await call(srv, 'DELETE', '/api/task/delete/2/', ANAGH)).to.deep.include({
      status: 200,
      text: '{"message":"Task deleted successfully!"}',
    });
    expect(await call(srv, 'DELETE', '/api/task/delete/2/', ANAGH)).to.deep.include({ status: 404 });
    expect(await counts()).to.deep.include({ Task_task: 1, Task_group: 1, Task_group_members: 2 });
    expect(await call(srv, 'DELETE', '/api/task/delete/1/', RIYA)).to.deep.include({ status: 200 });
    expect(await counts()).to.deep.include({ Task_task: 0, Task_group: 0, Task_group_members: 0 });
  });
});
