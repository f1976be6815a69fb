// POST /api/announcement/create/: admin only, AnnouncementSerializer validation, receivers from
// targeting_data (M user ids, T task groups, D year → domains), one transaction, then visible on the
// receivers' homepage.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';

const ANAGH = userToken('anagh.jaiswar@akgec.ac.in'); // admin
const RIYA = userToken('riya.sharma@akgec.ac.in'); // admin
const KABIR = userToken('kabir.singh@akgec.ac.in');
const DEV = userToken('dev.outsider@akgec.ac.in');
const PNG = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));
const CREATED = '{"message":"Announcement has been sent to all required users."}';

describeServer('announcement create', { timeout: 120000 }, (srv) => {
  async function post(token: string | null, body: unknown, form?: Record<string, string | Buffer>) {
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Token ${token}`;
    let payload: string | FormData | undefined;
    if (form) {
      const f = new FormData();
      for (const [k, v] of Object.entries(form)) {
        if (typeof v === 'string') f.append(k, v);
        else f.append(k, new Blob([v as unknown as BlobPart], { type: 'image/jpeg' }), 'poster.jpg');
      }
      payload = f;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(srv.baseUrl + '/api/announcement/create/', { method: 'POST', headers, body: payload });
    return { status: res.status, allow: res.headers.get('allow'), text: await res.text() };
  }

  async function latest() {
    const r = (await srv.ctx.db.knex.raw(
      `SELECT a.id, a.message, a.related_to, a.sender_id,
                COALESCE((SELECT json_agg(ar.user_id ORDER BY ar.user_id) FROM "Announcement_announcement_receivers" ar WHERE ar.announcement_id = a.id), '[]'::json) AS receivers
         FROM "Announcement_announcement" a ORDER BY a.id DESC LIMIT 1`,
    )) as { rows: Array<{ id: number; message: string; related_to: string; sender_id: number; receivers: unknown }> };
    const row = r.rows[0];
    return { ...row, receivers: typeof row.receivers === 'string' ? JSON.parse(row.receivers) : row.receivers };
  }

  it('manual selection: receivers are the given users (deduplicated); it shows on their homepage', async () => {
    const res = await post(ANAGH, { message: 'Meet at 5', related_to: 'M', targeting_data: { user_ids: [3, 4, 4, '7'] } });
    expect(res.status, res.text).to.equal(201);
    expect(res.text).to.equal(CREATED);
    expect(await latest()).to.deep.equal({ id: 3, message: 'Meet at 5', related_to: 'M', sender_id: 1, receivers: [3, 4, 7] });
    const home = await fetch(srv.baseUrl + '/api/homepage/announcements/', { headers: { Authorization: `Token ${DEV}` } });
    const list = (await home.json()) as Array<Record<string, string>>;
    expect(list).to.have.length(1);
    expect(Object.keys(list[0])).to.deep.equal(['time_date', 'related_to_display', 'sender_first_name', 'message']);
    expect(list[0].time_date).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect([list[0].related_to_display, list[0].sender_first_name, list[0].message]).to.deep.equal(['Manual Selection', 'Anagh', 'Meet at 5']);
    const stats = await fetch(srv.baseUrl + '/api/homepage/stats/', { headers: { Authorization: `Token ${KABIR}` } });
    expect(((await stats.json()) as { announcement_count: number }).announcement_count).to.equal(3);
  });

  it('task and domain targeting resolve to users; no targeting_data means no receivers', async () => {
    expect((await post(RIYA, { message: 'Task news', related_to: 'T', targeting_data: { task_ids: [1, 999] } })).status).to.equal(201);
    expect((await latest()).receivers).to.deep.equal([3, 4]);
    expect(
      (await post(RIYA, { message: 'Domain news', related_to: 'D', targeting_data: { criteria: { '2nd': [1, 'app_dev'], '3rd': [2] } } })).status,
    ).to.equal(201);
    expect((await latest()).receivers).to.deep.equal([2, 3, 4, 7]);
    // The original's empty Q(): an empty criteria dict reaches everyone.
    expect((await post(RIYA, { message: 'Everyone', related_to: 'D', targeting_data: { criteria: {} } })).status).to.equal(201);
    expect((await latest()).receivers).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    expect((await post(RIYA, { message: 'Nobody', related_to: 'M' })).status).to.equal(201);
    expect(await latest()).to.deep.equal({ id: 6, message: 'Nobody', related_to: 'M', sender_id: 2, receivers: [] });
  });

  it('accepts multipart/form fields (targeting_data as JSON text)', async () => {
    const res = await post(ANAGH, undefined, { message: 'From a form', related_to: 'M', targeting_data: '{"user_ids": [6]}' });
    expect(res.status, res.text).to.equal(201);
    expect((await latest()).receivers).to.deep.equal([6]);
  });

  it('refuses non-admins and anonymous callers; POST only', async () => {
    const member = await post(KABIR, { message: 'x', related_to: 'M' });
    expect(member.status).to.equal(403);
    expect(member.text).to.equal('{"error":"Only admin users can create announcements."}');
    const anon = await post(null, { message: 'x', related_to: 'M' });
    expect(anon.text).to.equal('{"detail":"Authentication credentials were not provided."}');
    const get = await fetch(srv.baseUrl + '/api/announcement/create/', { headers: { Authorization: `Token ${ANAGH}` } });
    expect(get.status).to.equal(405);
    expect(get.headers.get('allow')).to.equal('POST, OPTIONS');
    expect((await latest()).id).to.equal(2);
  });

  it('answers 400 with DRF-shaped bodies for bad input and writes nothing', async () => {
    const cases: Array<[unknown, Record<string, string> | undefined, string]> = [
      [{}, undefined, '{"message":["This field is required."],"related_to":["This field is required."]}'],
      [{ message: '  ', related_to: 'X' }, undefined, '{"message":["This field may not be blank."],"related_to":["\\"X\\" is not a valid choice."]}'],
      [
        { message: 'a\u0000b', related_to: null },
        undefined,
        '{"message":["Null characters are not allowed."],"related_to":["This field may not be null."]}',
      ],
      [[1], undefined, '{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}'],
      [
        { message: 'm', related_to: 'M', targeting_data: [3] },
        undefined,
        '{"targeting_data":["Expected a dictionary of items but got type \\"list\\"."]}',
      ],
      [
        { message: 'm', related_to: 'M', targeting_data: { user_ids: [3, 999] } },
        undefined,
        '{"targeting_data":["Invalid pk \\"999\\" - object does not exist."]}',
      ],
      [
        { message: 'm', related_to: 'M', targeting_data: { user_ids: '3' } },
        undefined,
        '{"targeting_data":["Expected a list of items but got type \\"str\\"."]}',
      ],
      [
        { message: 'm', related_to: 'T', targeting_data: { task_ids: ['a'] } },
        undefined,
        '{"targeting_data":["Incorrect type. Expected pk value, received str."]}',
      ],
      [
        { message: 'm', related_to: 'D', targeting_data: { criteria: ['2nd'] } },
        undefined,
        '{"targeting_data":["Expected a dictionary of items but got type \\"list\\"."]}',
      ],
      [
        { message: 'm', related_to: 'D', targeting_data: { criteria: { '2nd': 'backend' } } },
        undefined,
        '{"targeting_data":["Expected a list of items but got type \\"str\\"."]}',
      ],
      [undefined, { message: 'm', related_to: 'M', targeting_data: '{bad' }, '{"targeting_data":["Value must be valid JSON."]}'],
      // The app's declared call sends the event form: the original's serializer fields are missing.
      [
        undefined,
        { title: 'T', description: 'D', status: 'upcoming', poster: PNG as unknown as string },
        '{"message":["This field is required."],"related_to":["This field is required."]}',
      ],
    ];
    for (const [json, form, expected] of cases) {
      const res = await post(ANAGH, json, form);
      expect(res.status, expected).to.equal(400);
      expect(res.text).to.equal(expected);
    }
    const broken = await fetch(srv.baseUrl + '/api/announcement/create/', {
      method: 'POST',
      headers: { Authorization: `Token ${ANAGH}`, 'Content-Type': 'application/json' },
      body: '{',
    });
    expect(broken.status).to.equal(400);
    expect((await latest()).id).to.equal(2);
    const receivers = (await srv.ctx.db.knex.raw(`SELECT count(*) AS n FROM "Announcement_announcement_receivers"`)) as {
      rows: Array<{ n: number }>;
    };
    expect(Number(receivers.rows[0].n)).to.equal(7);
  });
});
