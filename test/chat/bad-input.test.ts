// Bad input on the chat REST API: the original's status and body where it answers, a 4xx JSON answer
// where it crashed with a 500 (each such case is marked DIVERGENCE and listed in the report),
// never a 500 and never a partial write.
import { expect } from 'chai';
import { userToken, type TestServer } from '../helpers/harness.ts';
import { call } from '../helpers/http.ts';
import { describeServer } from '../helpers/suites.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in');
const ANAGH = userToken('anagh.jaiswar@akgec.ac.in');
const RIYA = userToken('riya.sharma@akgec.ac.in');
const DEV = userToken('dev.outsider@akgec.ac.in');

interface Case {
  method?: string;
  path: string;
  token?: string;
  /** object → JSON; string → raw body with `type` */
  body?: unknown;
  type?: string;
  status: number;
  /** exact body text, or a RegExp */
  text: string | RegExp;
  divergence?: string;
}

const send = (srv: TestServer, c: Case) => call(srv, c.method ?? 'GET', c.path, c.token ?? KABIR, c.body, c.type);

async function check(srv: TestServer, cases: Case[]) {
  for (const c of cases) {
    const res = await send(srv, c);
    const label = `${c.method ?? 'GET'} ${c.path.slice(0, 120)} ${typeof c.body === 'string' ? c.body.slice(0, 40) : JSON.stringify(c.body ?? '').slice(0, 60)}`;
    expect(res.status, `${label}: ${res.text.slice(0, 200)}`).to.equal(c.status);
    expect(res.status, label).to.not.equal(500);
    if (typeof c.text === 'string') expect(res.text, label).to.equal(c.text);
    else expect(res.text, label).to.match(c.text);
  }
}

const HTML_404 = /^\n<!doctype html>[\s\S]*<title>Not Found<\/title>/;
const A10K = 'a'.repeat(10 * 1024);

async function tableCounts(srv: TestServer) {
  const knex = srv.ctx.db.knex;
  const out: Record<string, number> = {};
  for (const t of ['Chat_room', 'Chat_room_members', 'Chat_message', 'Chat_message_mentions', 'Chat_userroomstatus']) {
    out[t] = Number((await knex(t).count<{ c: number }[]>('* as c'))[0].c);
  }
  const rooms = await knex('Chat_room').orderBy('id').select('id', 'name', 'description', 'is_active', 'created_by_id', 'updated_at');
  return { out, rooms };
}

describeServer('chat REST bad input', { timeout: 120000 }, (srv) => {
  it('non-numeric, unknown and huge ids in paths', async () => {
    await check(srv, [
      // <str:room_id> routes: the original crashed in int('abc') (HTML 500 / 500 JSON).
      {
        path: '/api/chat/groups/abc/messages/',
        status: 404,
        text: '{"detail":"No Room matches the given query."}',
        divergence: 'chat-messages-non-numeric-room-404',
      },
      {
        path: '/api/chat/groups/1.5/messages/',
        status: 404,
        text: '{"detail":"No Room matches the given query."}',
        divergence: 'chat-messages-non-numeric-room-404',
      },
      {
        path: '/api/chat/groups/abc/members/',
        status: 404,
        text: '{"error":"An error occurred: No Room matches the given query."}',
        divergence: 'chat-members-unknown-room-404',
      },
      {
        path: '/api/chat/groups/999/members/',
        status: 404,
        text: '{"error":"An error occurred: No Room matches the given query."}',
        divergence: 'chat-members-unknown-room-404',
      },
      {
        path: '/api/chat/groups/4/members/',
        status: 404,
        text: '{"error":"An error occurred: No Room matches the given query."}',
        divergence: 'chat-members-unknown-room-404',
      },
      // Django 5 turns out-of-range integer lookups into "no row" (no crash): same answers here.
      { path: '/api/chat/groups/99999999999999999999/messages/', status: 404, text: '{"detail":"No Room matches the given query."}' },
      { path: '/api/chat/groups/-1/messages/', status: 404, text: '{"detail":"No Room matches the given query."}' },
      { method: 'DELETE', path: '/api/chat/delete-group/99999999999999999999/', status: 404, text: '{"detail":"No Room matches the given query."}' },
      { method: 'PUT', path: '/api/chat/edit-group/99999999999999999999/', body: {}, status: 404, text: '{"detail":"Room not found"}' },
      {
        method: 'POST',
        path: '/api/chat/group/99999999999999999999/add-yourself/',
        status: 404,
        text: '{"detail":"No Room matches the given query."}',
      },
      { method: 'POST', path: '/api/chat/group/99999999999999999999/remove-yourself/', status: 404, text: '{"detail":"Room not found"}' },
      {
        method: 'POST',
        path: '/api/chat/group/99999999999999999999/transfer-ownership/',
        body: { new_owner_id: 1 },
        status: 404,
        text: '{"detail":"No Room matches the given query."}',
      },
      { path: '/api/chat/groups/99999999999999999999/search/members/?q=a', status: 404, text: '{"detail":"No Room matches the given query."}' },
      {
        method: 'POST',
        path: '/api/chat/groups/99999999999999999999/mark-as-read/',
        status: 404,
        text: '{"error":"No Room matches the given query."}',
        divergence: 'chat-mark-as-read-unknown-room-404',
      },
      {
        method: 'POST',
        path: '/api/chat/groups/999/mark-as-read/',
        status: 404,
        text: '{"error":"No Room matches the given query."}',
        divergence: 'chat-mark-as-read-unknown-room-404',
      },
      // <int:room_id> routes do not resolve for non-digits: Django's HTML 404.
      { method: 'PUT', path: '/api/chat/edit-group/abc/', body: {}, status: 404, text: HTML_404 },
      { method: 'POST', path: '/api/chat/groups/abc/mark-as-read/', status: 404, text: HTML_404 },
      { path: '/api/chat/groups/abc/search/members/?q=a', status: 404, text: HTML_404 },
    ]);
  });

  it('negative, huge and malformed page / page_size', async () => {
    const page = (qs: string) => `/api/chat/groups/1/messages/${qs}`;
    await check(srv, [
      { path: page('?page=-1'), status: 404, text: '{"detail":"Invalid page."}' },
      { path: page('?page=0'), status: 404, text: '{"detail":"Invalid page."}' },
      { path: page('?page=99999999999999999999999'), status: 404, text: '{"detail":"Invalid page."}' },
      { path: page('?page=2.0'), status: 404, text: '{"detail":"Invalid page."}' },
      { path: page('?page=abc'), status: 404, text: '{"detail":"Invalid page."}' },
      { path: page('?page=' + A10K), status: 404, text: '{"detail":"Invalid page."}' },
      {
        path: page('?page=last&page_size=abc'),
        status: 200,
        text: /^\{"count":22,"next":null,"previous":"http:\/\/127\.0\.0\.1:\d+\/api\/chat\/groups\/1\/messages\/\?page_size=abc","results":\[\{"id":2,/,
      },
      {
        path: page('?page=%202'),
        status: 200,
        text: /^\{"count":22,"next":null,"previous":"http:\/\/127\.0\.0\.1:\d+\/api\/chat\/groups\/1\/messages\/","results":\[\{"id":2,/,
      },
      { path: page('?page=+2'), status: 200, text: /"results":\[\{"id":2,/ },
      {
        path: page('?page='),
        status: 200,
        text: /^\{"count":22,"next":"http:\/\/127\.0\.0\.1:\d+\/api\/chat\/groups\/1\/messages\/\?page=2","previous":null/,
      },
      {
        path: page('?page_size=-5'),
        status: 200,
        text: /^\{"count":22,"next":"http:\/\/127\.0\.0\.1:\d+\/api\/chat\/groups\/1\/messages\/\?page=2&page_size=-5","previous":null/,
      },
      { path: page('?page_size=99999999999999999999'), status: 200, text: /^\{"count":22,"next":null,"previous":null/ },
      {
        path: page('?page_size=5.5'),
        status: 200,
        text: /^\{"count":22,"next":"http:\/\/127\.0\.0\.1:\d+\/api\/chat\/groups\/1\/messages\/\?page=2&page_size=5\.5"/,
      },
      { path: page('?page_size=' + A10K), status: 200, text: /^\{"count":22,/ },
      {
        path: page('?page_size=1&page=22'),
        status: 200,
        text: /"previous":"http:\/\/127\.0\.0\.1:\d+\/api\/chat\/groups\/1\/messages\/\?page=21&page_size=1","results":\[\{"id":1,/,
      },
      { path: page('?page_size=1&page=23'), status: 404, text: '{"detail":"Invalid page."}' },
    ]);
    // 20 results by default when page_size is invalid.
    const res = await send(srv, { path: page('?page_size=0'), status: 200, text: '' });
    expect(JSON.parse(res.text).results).to.have.length(20);
  });

  it('empty, 10 KB, wildcard and NUL search strings', async () => {
    await check(srv, [
      { path: '/api/chat/groups/search/?q=', status: 400, text: '{"error":"Please Provide a search query."}' },
      { path: '/api/chat/groups/search/?q=' + A10K, status: 404, text: '{"message":"No groups Found"}' },
      { path: '/api/chat/groups/search/?q=%25', status: 404, text: '{"message":"No groups Found"}' },
      { path: '/api/chat/groups/search/?q=%5C', status: 404, text: '{"message":"No groups Found"}' },
      { path: '/api/chat/groups/search/?q=_', status: 200, text: /^\[\{"id":1,.*\{"id":2,.*\{"id":3,/ },
      { path: '/api/chat/groups/search/?q=%00', status: 404, text: '{"message":"No groups Found"}', divergence: 'chat-search-nul-404' },
      { path: '/api/chat/groups/1/search/members/?q=', status: 400, text: '{"error":"Please Provide a search query."}' },
      { path: '/api/chat/groups/1/search/members/?q=' + A10K, status: 404, text: '{"message":"no user found"}' },
      { path: '/api/chat/groups/1/search/members/?q=%25', status: 404, text: '{"message":"no user found"}' },
      { path: '/api/chat/groups/1/search/members/?q=%00', status: 404, text: '{"message":"no user found"}', divergence: 'chat-search-nul-404' },
      { path: '/api/chat/groups/1/search/members/?q=SINGH', status: 200, text: /^\[\{"id":3,"first_name":"Kabir"/ },
      { path: '/api/chat/groups/1/search/members/?q=%F0%9F%98%80', status: 404, text: '{"message":"no user found"}' },
    ]);
  });

  it('malformed JSON and non-dict bodies', async () => {
    const before = await tableCounts(srv);
    await check(srv, [
      {
        method: 'POST',
        path: '/api/chat/create-group/',
        body: '{"name": ',
        status: 400,
        text: '{"detail":"JSON parse error - Expecting value: line 1 column 10 (char 9)"}',
      },
      {
        method: 'POST',
        path: '/api/chat/create-group/',
        body: '[1, 2]',
        status: 400,
        text: '{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}',
      },
      {
        method: 'POST',
        path: '/api/chat/create-group/',
        body: '"x"',
        status: 400,
        text: '{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}',
      },
      {
        method: 'POST',
        path: '/api/chat/create-group/',
        body: 'name=x',
        type: 'text/plain',
        status: 415,
        text: '{"detail":"Unsupported media type \\"text/plain\\" in request."}',
      },
      {
        method: 'PUT',
        path: '/api/chat/edit-group/3/',
        body: '{"name": ',
        status: 400,
        text: '{"detail":"JSON parse error - Expecting value: line 1 column 10 (char 9)"}',
      },
      {
        method: 'PUT',
        path: '/api/chat/edit-group/3/',
        body: 'null',
        status: 400,
        text: '{"non_field_errors":["Invalid data. Expected a dictionary, but got NoneType."]}',
      },
      // The room checks come before request.data is read, as in the original.
      {
        method: 'PUT',
        path: '/api/chat/edit-group/1/',
        token: DEV,
        body: '{"name": ',
        status: 403,
        text: '{"detail":"You do not have permission to edit this room."}',
      },
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: '{',
        status: 400,
        text: '{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"}',
      },
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: '[3]',
        status: 400,
        text: '{"detail":"Invalid data. Expected a dictionary, but got list."}',
        divergence: 'chat-transfer-non-dict-body-400',
      },
      // Views that never read request.data ignore the body, as the original does.
      { method: 'POST', path: '/api/chat/groups/3/mark-as-read/', body: '{oops', status: 200, text: '{"message":"Room marked as read."}' },
      {
        method: 'POST',
        path: '/api/chat/group/3/add-yourself/',
        token: DEV,
        body: '{oops',
        status: 200,
        text: /^\{"message":"You have been added to the group successfully\."/,
      },
    ]);
    const after = await tableCounts(srv);
    expect(after.out.Chat_room).to.equal(before.out.Chat_room);
    expect(after.rooms.map((r: { name: string }) => r.name)).to.deep.equal(before.rooms.map((r: { name: string }) => r.name));
  });

  it('wrong field types in create-group, with every error in field order and no partial write', async () => {
    const before = await tableCounts(srv);
    const create = (body: unknown, status: number, text: string | RegExp): Case => ({
      method: 'POST',
      path: '/api/chat/create-group/',
      token: RIYA,
      body,
      status,
      text,
    });
    await check(srv, [
      create({ name: 'x', members: 'abc' }, 400, '{"members":["Expected a list of items but got type \\"str\\"."]}'),
      create({ name: 'x', members: ['abc'] }, 400, '{"members":["Incorrect type. Expected pk value, received str."]}'),
      create({ name: 'x', members: [true] }, 400, '{"members":["Incorrect type. Expected pk value, received bool."]}'),
      create({ name: 'x', members: [[2]] }, 400, '{"members":["Incorrect type. Expected pk value, received list."]}'),
      create({ name: 'x', members: [null] }, 400, '{"members":["Invalid pk \\"None\\" - object does not exist."]}'),
      create({ name: 'x', members: [2, 999, 'abc'] }, 400, '{"members":["Invalid pk \\"999\\" - object does not exist."]}'),
      create(
        { name: 'x', members: ['2', 99999999999999999999] },
        400,
        '{"members":["Invalid pk \\"100000000000000000000\\" - object does not exist."]}',
      ),
      create({ name: 'x', members: null }, 400, '{"members":["This field may not be null."]}'),
      create({ name: 'x', members: 5 }, 400, '{"members":["Expected a list of items but got type \\"int\\"."]}'),
      create({ name: '   ', members: [] }, 400, '{"name":["This field may not be blank."]}'),
      create({ name: null, members: [] }, 400, '{"name":["This field may not be null."]}'),
      create({ name: ['x'], members: [] }, 400, '{"name":["Not a valid string."]}'),
      create(
        { name: 'a\u0000b' + 'c'.repeat(60), members: [] },
        400,
        '{"name":["Ensure this field has no more than 50 characters.","Null characters are not allowed."]}',
      ),
      create({ name: 'x', description: {}, members: [] }, 400, '{"description":["Not a valid string."]}'),
      create(
        { name: 'x', members: [], room_avatar: 'http://example.com/a.png' },
        400,
        '{"room_avatar":["The submitted data was not a file. Check the encoding type on the form."]}',
      ),
      create({ name: 'x', members: [], room_avatar: null }, 400, '{"room_avatar":["This field may not be null."]}'),
      create({ name: 'x', members: [], is_active: 'maybe' }, 400, '{"is_active":["Must be a valid boolean."]}'),
      create({ name: 'x', members: [], is_active: [] }, 400, '{"is_active":["Must be a valid boolean."]}'),
      create(
        { name: '2nd_year', description: [], members: {}, room_avatar: 1, is_active: null },
        400,
        '{"name":["room with this name already exists."],"description":["Not a valid string."],"room_avatar":["The submitted data was not a file. Check the encoding type on the form."],"is_active":["This field may not be null."]}',
      ),
    ]);
    expect((await tableCounts(srv)).out).to.deep.equal(before.out);
    // Accepted coercions of the original: numbers as names, string and float pks, dict keys as pks.
    await check(srv, [
      create({ name: 123, members: ['2', 4.7, 2] }, 201, /^\{"message":"Room created successfully","room":\{"id":5,"name":"123","description":null,/),
      create(
        { name: '  padded  ', members: { '3': 'x' }, is_active: 'off' },
        201,
        /^\{"message":"Room created successfully","room":\{"id":6,"name":"padded","description":null,"room_avatar":null,"is_active":false,/,
      ),
    ]);
    const members = await srv.ctx.db.knex('Chat_room_members').where({ room_id: 5 }).orderBy('user_id').pluck('user_id');
    expect(members).to.deep.equal([2, 4]);
    expect(await srv.ctx.db.knex('Chat_room_members').where({ room_id: 6 }).pluck('user_id')).to.deep.equal([3]);
  });

  it('wrong field types in edit-group and transfer-ownership, with no partial write', async () => {
    const before = await tableCounts(srv);
    await check(srv, [
      {
        method: 'PUT',
        path: '/api/chat/edit-group/3/',
        body: { name: 'renamed', is_active: 'maybe' },
        status: 400,
        text: '{"is_active":["Must be a valid boolean."]}',
      },
      { method: 'PUT', path: '/api/chat/edit-group/3/', body: { name: null }, status: 400, text: '{"name":["This field may not be null."]}' },
      {
        method: 'PUT',
        path: '/api/chat/edit-group/3/',
        body: { name: 'y'.repeat(51), description: ['x'] },
        status: 400,
        text: '{"name":["Ensure this field has no more than 50 characters."],"description":["Not a valid string."]}',
      },
      {
        method: 'PUT',
        path: '/api/chat/edit-group/3/',
        body: { room_avatar: 'x' },
        status: 400,
        text: '{"room_avatar":["The submitted data was not a file. Check the encoding type on the form."]}',
      },
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: { new_owner_id: [] },
        status: 400,
        text: '{"detail":"New owner ID is required."}',
      },
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: { new_owner_id: 0 },
        status: 400,
        text: '{"detail":"New owner ID is required."}',
      },
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: { new_owner_id: '' },
        status: 400,
        text: '{"detail":"New owner ID is required."}',
      },
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: { new_owner_id: [3] },
        status: 400,
        text: '{"detail":"A valid integer is required."}',
        divergence: 'chat-transfer-bad-new-owner-id-400',
      },
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: { new_owner_id: 'abc' },
        status: 400,
        text: '{"detail":"A valid integer is required."}',
        divergence: 'chat-transfer-bad-new-owner-id-400',
      },
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: { new_owner_id: '3.0' },
        status: 400,
        text: '{"detail":"A valid integer is required."}',
        divergence: 'chat-transfer-bad-new-owner-id-400',
      },
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: { new_owner_id: { a: 1 } },
        status: 400,
        text: '{"detail":"A valid integer is required."}',
        divergence: 'chat-transfer-bad-new-owner-id-400',
      },
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: { new_owner_id: 99999999999999999999 },
        status: 400,
        text: '{"detail":"The specified user is not a member of this group."}',
      },
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: { new_owner_id: 7 },
        status: 400,
        text: '{"detail":"The specified user is not a member of this group."}',
      },
    ]);
    const after = await tableCounts(srv);
    expect(after.out).to.deep.equal(before.out);
    expect(after.rooms).to.deep.equal(before.rooms);
    // Accepted as the original does: a numeric string (int(" 3 ")).
    await check(srv, [
      {
        method: 'POST',
        path: '/api/chat/group/1/transfer-ownership/',
        token: ANAGH,
        body: { new_owner_id: ' 3 ' },
        status: 200,
        text: '{"message":"Ownership transferred successfully.","new_owner":{"id":3,"first_name":"Kabir","last_name":"Singh"}}',
      },
    ]);
  });

  it("form and multipart bodies follow DRF's HTML-input rules", async () => {
    const form = new FormData();
    form.append('name', 'multipart_room');
    form.append('members', '2');
    form.append('members', '4');
    form.append('is_active', 'true');
    const res = await fetch(`${srv.baseUrl}/api/chat/create-group/`, { method: 'POST', headers: { Authorization: `Token ${RIYA}` }, body: form });
    expect(res.status, await res.clone().text()).to.equal(201);
    expect(await srv.ctx.db.knex('Chat_room_members').where({ room_id: 5 }).orderBy('user_id').pluck('user_id')).to.deep.equal([2, 4]);
    const edit = new URLSearchParams({ description: '', is_active: '' });
    const res2 = await fetch(`${srv.baseUrl}/api/chat/edit-group/5/`, {
      method: 'PUT',
      headers: { Authorization: `Token ${RIYA}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: edit.toString(),
    });
    expect(res2.status).to.equal(200);
    const body = await res2.json();
    expect(body.room).to.include({ description: '', is_active: true });
    const transfer = await fetch(`${srv.baseUrl}/api/chat/group/5/transfer-ownership/`, {
      method: 'POST',
      headers: { Authorization: `Token ${RIYA}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'new_owner_id=4',
    });
    expect(await transfer.json()).to.deep.equal({
      message: 'Ownership transferred successfully.',
      new_owner: { id: 4, first_name: 'Meera', last_name: 'Nair' },
    });
  });

  it('delete-group removes the room with its messages, replies elsewhere, mentions, memberships and read states', async () => {
    const knex = srv.ctx.db.knex;
    // A reply in room 3 to a message of room 2: Django's cascade deletes it too.
    await knex('Chat_message').insert({
      id: 900,
      message_type: 'text',
      content: 'cross-room reply',
      is_deleted: false,
      is_edited: false,
      status: '{}',
      created_at: '2025-04-13 00:00:00+00',
      updated_at: '2025-04-13 00:00:00+00',
      parent_message_id: 25,
      sender_id: 1,
      room_id: 3,
      is_pinned: false,
    });
    const res = await send(srv, { method: 'DELETE', path: '/api/chat/delete-group/2/', token: RIYA, status: 200, text: '' });
    expect(res.text).to.equal('{"message":"Room deleted successfully."}');
    expect(await knex('Chat_room').where({ id: 2 }).first()).to.equal(undefined);
    expect(await knex('Chat_message').where({ room_id: 2 }).count<{ c: number }[]>('* as c')).to.deep.equal([{ c: 0 }]);
    expect(await knex('Chat_message').where({ id: 900 }).first()).to.equal(undefined);
    expect(Number((await knex('Chat_message_mentions').where({ message_id: 26 }).count<{ c: number }[]>('* as c'))[0].c)).to.equal(0);
    expect(Number((await knex('Chat_room_members').where({ room_id: 2 }).count<{ c: number }[]>('* as c'))[0].c)).to.equal(0);
    expect(Number((await knex('Chat_userroomstatus').where({ room_id: 2 }).count<{ c: number }[]>('* as c'))[0].c)).to.equal(0);
  });
});
