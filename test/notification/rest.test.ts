// /api/notifications/: mark-as-read (PATCH, ids or all), unread-count, register-device (DeviceToken
// via DeviceTokenSerializer: unique token, choice field); bad input answers DRF-shaped 400s, never 500.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { call } from '../helpers/http.ts';
import { describeServer } from '../helpers/suites.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in'); // user 3: notifications 1 (unread), 2 (read)
const MEERA = userToken('meera.nair@akgec.ac.in'); // user 4: notification 3 (unread)
const TANYA = userToken('tanya.gupta@akgec.ac.in'); // user 6: none

describeServer('notifications REST', { timeout: 60000 }, (srv) => {
  const unread = async (userId: number) =>
    (await srv.ctx.db.knex('Notification_notification').where({ user_id: userId, is_read: false }).orderBy('id').select('id')).map((r) =>
      Number(r.id),
    );

  it("unread-count counts only the user's unread rows", async () => {
    expect(await call(srv, 'GET', '/api/notifications/unread-count/', KABIR)).to.deep.include({
      status: 200,
      text: '{"unread_count":1}',
      type: 'application/json',
    });
    expect((await call(srv, 'GET', '/api/notifications/unread-count/', TANYA)).text).to.equal('{"unread_count":0}');
  });

  it('auth and method rules like DRF (403 before 405, Allow header)', async () => {
    expect(await call(srv, 'GET', '/api/notifications/unread-count/', null)).to.deep.include({
      status: 403,
      text: '{"detail":"Authentication credentials were not provided."}',
    });
    expect(await call(srv, 'PATCH', '/api/notifications/mark-as-read/', null, {})).to.deep.include({ status: 403 });
    expect(await call(srv, 'POST', '/api/notifications/mark-as-read/', KABIR, {})).to.deep.include({
      status: 405,
      text: '{"detail":"Method \\"POST\\" not allowed."}',
      allow: 'PATCH, OPTIONS',
    });
    expect(await call(srv, 'GET', '/api/notifications/register-device/', KABIR)).to.deep.include({ status: 405, allow: 'POST, OPTIONS' });
    const redirect = await call(srv, 'GET', '/api/notifications/unread-count', KABIR);
    expect(redirect.status).to.equal(301);
  });

  it("mark-as-read with ids touches only the user's unread rows among them", async () => {
    // 3 belongs to Meera, 2 is already read, 999 does not exist.
    expect((await call(srv, 'PATCH', '/api/notifications/mark-as-read/', KABIR, { notification_ids: [1, 2, 3, 999] })).text).to.equal(
      '{"updated":1}',
    );
    expect(await unread(3)).to.deep.equal([]);
    expect(await unread(4)).to.deep.equal([3]);
    expect((await call(srv, 'PATCH', '/api/notifications/mark-as-read/', KABIR, { notification_ids: [1] })).text).to.equal('{"updated":0}');
  });

  it('mark-as-read without ids (absent, empty list, null, empty body) marks everything', async () => {
    for (const body of [{}, { notification_ids: [] }, { notification_ids: null }, undefined]) {
      await srv.reset();
      const res = await call(srv, 'PATCH', '/api/notifications/mark-as-read/', MEERA, body);
      expect(res, JSON.stringify(body)).to.deep.include({ status: 200, text: '{"updated":1}' });
      expect(await unread(4)).to.deep.equal([]);
      expect(await unread(3)).to.deep.equal([1]);
    }
  });

  it('mark-as-read reads ids like int(): numeric strings, floats, and form input', async () => {
    expect((await call(srv, 'PATCH', '/api/notifications/mark-as-read/', KABIR, { notification_ids: ['1'] })).text).to.equal('{"updated":1}');
    await srv.reset();
    expect((await call(srv, 'PATCH', '/api/notifications/mark-as-read/', KABIR, { notification_ids: [1.7, null] })).text).to.equal('{"updated":1}');
    await srv.reset();
    expect(
      (await call(srv, 'PATCH', '/api/notifications/mark-as-read/', KABIR, 'notification_ids=1', 'application/x-www-form-urlencoded')).text,
    ).to.equal('{"updated":1}');
  });

  it('mark-as-read bad input: DRF-shaped 400, nothing written', async () => {
    const cases: Array<[unknown, string]> = [
      [{ notification_ids: 5 }, '{"notification_ids":["Expected a list of items but got type \\"int\\"."]}'],
      [{ notification_ids: true }, '{"notification_ids":["Expected a list of items but got type \\"bool\\"."]}'],
      [{ notification_ids: ['abc'] }, '{"notification_ids":["Incorrect type. Expected pk value, received str."]}'],
      [{ notification_ids: [[1]] }, '{"notification_ids":["Incorrect type. Expected pk value, received list."]}'],
      [{ notification_ids: 'x' }, '{"notification_ids":["Incorrect type. Expected pk value, received str."]}'],
      [[1, 2], '{"detail":"Invalid data. Expected a dictionary, but got list."}'],
      ['{"notification_ids": [1', /^\{"detail":"JSON parse error - /.source],
    ];
    for (const [body, text] of cases) {
      const res = await call(srv, 'PATCH', '/api/notifications/mark-as-read/', KABIR, body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      if (text.startsWith('^')) expect(res.text).to.match(new RegExp(text));
      else expect(res.text, JSON.stringify(body)).to.equal(text);
    }
    // Nesting too deep for a recursive scanner: a parse error, not a 500.
    const deep = await call(srv, 'PATCH', '/api/notifications/mark-as-read/', KABIR, '{"notification_ids": ' + '['.repeat(200000));
    expect(deep).to.deep.include({
      status: 400,
      text: '{"detail":"JSON parse error - maximum recursion depth exceeded while decoding a JSON array from a unicode string"}',
    });
    expect(await unread(3)).to.deep.equal([1]);
    // Ids out of any column's range match nothing; no 500.
    expect(
      (await call(srv, 'PATCH', '/api/notifications/mark-as-read/', KABIR, { notification_ids: ['99999999999999999999999', 1e300] })).text,
    ).to.equal('{"updated":0}');
  });

  it('register-device creates a token (android by default) and answers the serializer data', async () => {
    const res = await call(srv, 'POST', '/api/notifications/register-device/', TANYA, { device_token: '  tok-tanya-1 ' });
    expect(res).to.deep.include({ status: 201, text: '{"device_token":"tok-tanya-1","device_type":"android"}' });
    const ios = await call(
      srv,
      'POST',
      '/api/notifications/register-device/',
      TANYA,
      'device_token=tok-tanya-2&device_type=ios',
      'application/x-www-form-urlencoded',
    );
    expect(ios).to.deep.include({ status: 201, text: '{"device_token":"tok-tanya-2","device_type":"ios"}' });
    const rows = await srv.ctx.db.knex('Notification_devicetoken').where('user_id', 6).orderBy('id').select('device_token', 'device_type');
    expect(rows).to.deep.equal([
      { device_token: 'tok-tanya-1', device_type: 'android' },
      { device_token: 'tok-tanya-2', device_type: 'ios' },
    ]);
  });

  it('register-device validation like the ModelSerializer (UniqueValidator on the token, ChoiceField)', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, '{"device_token":["This field is required."]}'],
      [{ device_token: '' }, '{"device_token":["This field may not be blank."]}'],
      [{ device_token: null }, '{"device_token":["This field may not be null."]}'],
      [{ device_token: ['a'] }, '{"device_token":["Not a valid string."]}'],
      [{ device_token: 'a'.repeat(256) }, '{"device_token":["Ensure this field has no more than 255 characters."]}'],
      [{ device_token: 'fcm-oracle-token-kabir-0001' }, '{"device_token":["device token with this device token already exists."]}'],
      [{ device_token: 'ok', device_type: 'web' }, '{"device_type":["\\"web\\" is not a valid choice."]}'],
      [{ device_token: 'ok', device_type: null }, '{"device_type":["This field may not be null."]}'],
      [{ device_token: 'ok', device_type: '' }, '{"device_type":["\\"\\" is not a valid choice."]}'],
      [{ device_type: 'web' }, '{"device_token":["This field is required."],"device_type":["\\"web\\" is not a valid choice."]}'],
      [['x'], '{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}'],
    ];
    for (const [body, text] of cases) {
      const res = await call(srv, 'POST', '/api/notifications/register-device/', KABIR, body);
      expect(res, JSON.stringify(body)).to.deep.include({ status: 400, text });
    }
    expect(
      await srv.ctx.db
        .knex('Notification_devicetoken')
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
    ).to.equal(2);
  });

  it('concurrent registrations of one token: one row; 201 only for its owner (update_or_create), the unique-token 400 otherwise', async () => {
    const tokens = Array.from({ length: 6 }, (_, i) => (i % 2 ? KABIR : TANYA));
    const res = await Promise.all(tokens.map((t) => call(srv, 'POST', '/api/notifications/register-device/', t, { device_token: 'race-token' })));
    const rows = await srv.ctx.db.knex('Notification_devicetoken').where('device_token', 'race-token').select('user_id');
    expect(rows).to.have.length(1);
    const owner = rows[0]!.user_id === 3 ? KABIR : TANYA;
    res.forEach((r, i) => {
      if (r.status === 201) {
        expect(tokens[i]).to.equal(owner);
        expect(r.text).to.equal('{"device_token":"race-token","device_type":"android"}');
      } else {
        expect(r).to.deep.include({ status: 400, text: '{"device_token":["device token with this device token already exists."]}' });
      }
    });
    expect(res.filter((r) => r.status === 201).length).to.be.greaterThanOrEqual(1);
    // Every request of the other user was refused.
    res.forEach((r, i) => tokens[i] !== owner && expect(r.status).to.equal(400));
  });
});
