// The chat consumer over real sockets and a real database (issue #4): handshakes, every action with
// several clients, is_self, replies, mentions with notification sockets and push, sender-only edits,
// the pin limit, typing, atomic reactions, bad input, size/rate/binary bounds, slow readers, keepalive.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import type { PushNotification, PushSender } from '../../src/notification/push.ts';
import { ERR } from '../../src/chat/consumer.ts';
import { RATE_LIMIT_ERROR, BINARY_FRAME_ERROR } from '../../src/realtime/socket.ts';

const ANAGH = userToken('Anagh'); // 1, admin; rooms 1 2 3 4
const RIYA = userToken('Riya'); // 2; rooms 1 2 3
const KABIR = userToken('Kabir'); // 3; rooms 1 2 3
const MEERA = userToken('Meera'); // 4; rooms 1 3
const TANYA = userToken('Tanya'); // 6; rooms 1 3
const DEV = userToken('Dev'); // 7; no room

class RecordingPush implements PushSender {
  readonly sent: Array<{ userIds: number[]; notification: PushNotification }> = [];
  async send(userIds: number[], notification: PushNotification): Promise<void> {
    this.sent.push({ userIds, notification });
  }
}

const pythonFrame = /^\{"[a-z_]+": /; // json.dumps spacing

async function count(knex: Knex, table: string, where: Record<string, unknown> = {}): Promise<number> {
  const r = await knex(table).where(where).count<{ count: string | number }[]>('* as count');
  return Number(r[0].count);
}

const push = new RecordingPush();
describeServer('chat socket', { build: { push }, env: { WS_RATE_PER_SECOND: '1000', WS_RATE_BURST: '200' } }, (server, { backend }) => {
  const open: WsClient[] = [];
  const connect = async (path: string) => {
    const c = await WsClient.connect(`${server.wsUrl}${path}`);
    open.push(c);
    return c;
  };
  const room = (token: string, id = 1) => connect(`/ws/chat/${id}/?token=${token}`);
  const knex = () => server.ctx.db.knex;

  beforeEach(() => {
    push.sent.length = 0;
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  describe('handshake', () => {
    const status = (path: string) => WsClient.handshakeStatus(`${server.wsUrl}${path}`);

    it('accepts a member of an active room', async () => {
      expect(await status(`/ws/chat/1/?token=${KABIR}`)).to.equal(101);
      expect(await status(`/ws/chat/001/?token=${KABIR}`)).to.equal(101);
    });

    it('refuses with 403: no token, blank, unknown token, non-member, unknown room, inactive room', async () => {
      expect(await status('/ws/chat/1/')).to.equal(403);
      expect(await status('/ws/chat/1/?token=')).to.equal(403);
      expect(await status('/ws/chat/1/?token=0000000000000000000000000000000000000000')).to.equal(403);
      expect(await status(`/ws/chat/1/?token=${DEV}`)).to.equal(403);
      expect(await status(`/ws/chat/999/?token=${KABIR}`)).to.equal(403);
      expect(await status(`/ws/chat/99999999999999999999999/?token=${KABIR}`)).to.equal(403);
      expect(await status(`/ws/chat/4/?token=${ANAGH}`)).to.equal(403);
    });

    it('refuses an inactive user', async () => {
      await knex()('User_user').where({ id: 3 }).update({ is_active: false });
      expect(await status(`/ws/chat/1/?token=${KABIR}`)).to.equal(403);
      expect(await status(`/ws/notifications/?token=${KABIR}`)).to.equal(403);
    });

    it('answers 500 where no route matches, as the URLRouter does', async () => {
      expect(await status(`/ws/chat/abc/?token=${KABIR}`)).to.equal(500);
      expect(await status(`/ws/chat/1?token=${KABIR}`)).to.equal(500);
    });

    it('refuses notification sockets without a valid token', async () => {
      expect(await status('/ws/notifications/')).to.equal(403);
      expect(await status('/ws/notifications/?token=nope')).to.equal(403);
      expect(await status(`/ws/notifications/?token=${DEV}`)).to.equal(101);
    });
  });

  describe('send_message', () => {
    it("reaches every member socket once, is_self only on the sender's sockets, and is stored", async () => {
      const kabir = await room(KABIR);
      const kabir2 = await room(KABIR);
      const meera = await room(MEERA);
      const tanya = await room(TANYA);
      const other = await room(KABIR, 2);
      kabir.send({ action: 'send_message', message: 'héllo 👋', mentions: [] });
      const frames = await Promise.all([kabir, kabir2, meera, tanya].map((c) => c.next()));
      for (const f of frames) expect(f.text).to.match(pythonFrame);
      const [k, k2, m, t] = frames.map((f) => f.json as Record<string, unknown>);
      expect(k).to.include({ message: 'héllo 👋', message_type: 'text', is_self: true, attachment: null, room: 1, parent_message: null });
      expect(k.sender).to.deep.equal({ name: 'Kabir', photo: null, id: 3, role: 'member' });
      expect(Object.keys(k)).to.deep.equal([
        'message',
        'sender',
        'message_type',
        'id',
        'is_self',
        'attachment',
        'created_at',
        'room',
        'parent_message',
      ]);
      expect(k2.is_self).to.equal(true);
      expect(m.is_self).to.equal(false);
      expect(t.is_self).to.equal(false);
      expect(frames[0].text).to.include('"message": "h\\u00e9llo \\ud83d\\udc4b"');
      expect(k.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
      const row = await knex()('Chat_message').where({ id: k.id }).first();
      expect(row).to.include({ content: 'héllo 👋', message_type: 'text', room_id: 1, sender_id: 3, is_deleted: false });
      expect(await other.silence(150)).to.deep.equal([]);
      for (const c of [kabir, kabir2, meera, tanya]) expect(await c.silence(50)).to.deep.equal([]);
    });

    it('stores message_type and attachment as sent', async () => {
      const riya = await room(RIYA);
      riya.send({ message: 'see pic', message_type: 'image', attachment: 'image/upload/v1/x.jpg' });
      const f = await riya.nextJson();
      expect(f).to.include({ message_type: 'image', attachment: 'image/upload/v1/x.jpg' });
      expect(await knex()('Chat_message').where({ id: f.id }).first()).to.include({ message_type: 'image', attachment: 'image/upload/v1/x.jpg' });
    });

    it('takes Cloudinary paths and URLs of the configured cloud as attachments (issue 13 #10)', async () => {
      const riya = await room(RIYA);
      for (const attachment of ['image/upload/v1/x.jpg', 'https://res.cloudinary.com/dcbla9zbl/image/upload/v1744000000/clientsentphoto01.jpg']) {
        riya.send({ message: 'pic', message_type: 'image', attachment });
        const f = await riya.nextJson();
        expect([f.error, typeof f.id], attachment).to.deep.equal([undefined, 'number']);
      }
    });

    it('replies carry the parent; a parent in another room or unknown is an error and stores nothing', async () => {
      const meera = await room(MEERA);
      const anagh = await room(ANAGH);
      meera.send({ message: 'agreed', parent_message_id: 4 });
      const [m, a] = await Promise.all([meera.nextJson(), anagh.nextJson()]);
      const parent = {
        id: 4,
        content: 'Reminder: orientation is on Friday at 4 PM in CSIT lab.',
        sender: { id: 2, name: 'Riya', photo: 'http://res.cloudinary.com/dcbla9zbl/image/upload/v1739200000/q3k9x8m2n1b4v5c6z7a8.png' },
        created_at: '2025-04-10T03:35:00+00:00',
      };
      expect(m.parent_message).to.deep.equal(parent);
      expect(a.parent_message).to.deep.equal(parent);
      expect(await knex()('Chat_message').where({ id: m.id }).first()).to.include({ parent_message_id: 4 });
      const before = await count(knex(), 'Chat_message');
      anagh.send({ message: 'cross-room', parent_message_id: 28 }); // room 3
      expect(await anagh.nextJson()).to.deep.equal({ error: ERR.parentMissing });
      anagh.send({ message: 'ghost', parent_message_id: 9999 });
      expect(await anagh.nextJson()).to.deep.equal({ error: ERR.parentMissing });
      expect(await meera.silence(150)).to.deep.equal([]);
      expect(await count(knex(), 'Chat_message')).to.equal(before);
    });

    it('renders chat_message events of other processes (Django shape), looking the parent up once', async () => {
      const kabir = await room(KABIR);
      const meera = await room(MEERA);
      await server.ctx.layer.groupSend('chat_1', {
        type: 'chat_message',
        message: 'from django',
        sender: { name: 'Meera', photo: null, id: 4, role: 'member' },
        message_type: 'text',
        id: 4242,
        created_at: '2026-01-01T00:00:00+00:00',
        room: 1,
        parent_message_id: 4,
      });
      const [k, m] = await Promise.all([kabir.nextJson(), meera.nextJson()]);
      expect(k).to.include({ message: 'from django', is_self: false, id: 4242 });
      expect(m).to.include({ is_self: true });
      expect((k.parent_message as { id: number }).id).to.equal(4);
      // a malformed event or an unknown type neither closes the sockets nor reaches them
      await server.ctx.layer.groupSend('chat_1', { type: 'chat_message_edited' });
      await server.ctx.layer.groupSend('chat_1', { type: 'something_else', x: 1 });
      kabir.send({ message: 'still fine' });
      expect((await meera.nextJson()).message).to.equal('still fine');
      expect(kabir.closed).to.equal(null);
    });
  });

  describe('mentions', () => {
    it('notify mentioned members only (not the sender, not non-members), on their notification sockets, and push to the offline ones', async () => {
      const meeraN = await connect(`/ws/notifications/?token=${MEERA}`);
      const devN = await connect(`/ws/notifications/?token=${DEV}`);
      const kabirN = await connect(`/ws/notifications/?token=${KABIR}`);
      const kabir = await room(KABIR);
      const before = await count(knex(), 'Notification_notification');
      kabir.send({ message: '@Meera @Tanya standup', mentions: [4, '6', 3, 7, 999, 4] });
      const msg = await kabir.nextJson();
      const n = await meeraN.next();
      expect(n.text).to.match(
        /^\{"notification": \{"id": \d+, "event_type": "chat_mention", "message": "You were mentioned in 2nd_year chat by Kabir", "url": null, "created_at": "[^"]+\+00:00"\}\}$/,
      );
      expect(await devN.silence(200)).to.deep.equal([]);
      expect(await kabirN.silence(10)).to.deep.equal([]);
      const rows = await knex()('Notification_notification').where('id', '>', 0).orderBy('id').select('user_id', 'event_type', 'message', 'is_read');
      expect(rows.length - before).to.equal(2);
      expect(rows.slice(-2).map((r) => r.user_id)).to.deep.equal([4, 6]);
      const mentions = await knex()('Chat_message_mentions').where({ message_id: msg.id }).orderBy('user_id').pluck('user_id');
      expect(mentions.map(Number)).to.deep.equal([3, 4, 6]);
      // Meera has a socket, Tanya none: only Tanya is pushed
      expect(push.sent).to.have.length(1);
      expect(push.sent[0].userIds).to.deep.equal([6]);
      expect(push.sent[0].notification.body).to.equal('You were mentioned in 2nd_year chat by Kabir');
    });

    it('ignore client frames on the notification socket', async () => {
      const n = await connect(`/ws/notifications/?token=${TANYA}`);
      n.send({ hello: 'server' });
      n.send('not json');
      expect(await n.silence(200)).to.deep.equal([]);
      expect(n.closed).to.equal(null);
    });
  });

  describe('edit and delete', () => {
    it('edit by the sender reaches everyone; by anyone else it is an error to them only', async () => {
      const kabir = await room(KABIR);
      const meera = await room(MEERA);
      const tanya = await room(TANYA);
      kabir.send({ action: 'edit_message', message_id: 22, new_content: 'v2' });
      for (const c of [kabir, meera, tanya]) expect(await c.next()).to.deep.include({ text: '{"action": "edited", "id": 22, "new_content": "v2"}' });
      meera.send({ action: 'edit_message', message_id: 22, new_content: 'hijack' });
      expect(await meera.nextJson()).to.deep.equal({ error: ERR.editFailed });
      kabir.send({ action: 'edit_message', message_id: 24, new_content: 'other room' }); // his, in room 2
      expect(await kabir.nextJson()).to.deep.equal({ error: ERR.editFailed });
      expect(await tanya.silence(150)).to.deep.equal([]);
      expect(await knex()('Chat_message').where({ id: 22 }).first()).to.include({ content: 'v2', is_edited: true });
      expect(await knex()('Chat_message').where({ id: 24 }).first()).to.include({ is_edited: false });
    });

    it('delete by the sender is a soft delete seen by everyone; others get an error', async () => {
      const meera = await room(MEERA);
      const kabir = await room(KABIR);
      const tanya = await room(TANYA);
      meera.send({ action: 'delete_message', message_id: 15 });
      for (const c of [meera, kabir, tanya]) expect((await c.next()).text).to.equal('{"action": "deleted", "id": 15}');
      kabir.send({ action: 'delete_message', message_id: 3 }); // Meera's
      expect(await kabir.nextJson()).to.deep.equal({ error: ERR.deleteFailed });
      kabir.send({ action: 'delete_message', message_id: 27 }); // his, in room 2
      expect(await kabir.nextJson()).to.deep.equal({ error: ERR.deleteFailed });
      expect(await knex()('Chat_message').where({ id: 15 }).first()).to.include({ is_deleted: true, content: 'Can someone share the Figma link?' });
      expect(await knex()('Chat_message').where({ id: 3 }).first()).to.include({ is_deleted: false });
      expect(await knex()('Chat_message').where({ id: 27 }).first()).to.include({ is_deleted: false });
      expect(await tanya.silence(100)).to.deep.equal([]);
    });
  });

  describe('reactions', () => {
    it('count every reaction atomically: 50 concurrent reactions from five members give 50', async () => {
      const clients = await Promise.all([ANAGH, RIYA, KABIR, MEERA, TANYA].map((t) => room(t)));
      for (let i = 0; i < 10; i++) for (const c of clients) c.send({ action: 'react_message', message_id: 21, reaction: '🔥' });
      const frames = await clients[0].take(50, 15000);
      const counts = frames.map((f) => (f.json as { reactions: Record<string, number> }).reactions['🔥']);
      expect(Math.max(...counts)).to.equal(50);
      expect(new Set(counts).size).to.equal(50);
      const row = await knex()('Chat_message').where({ id: 21 }).first();
      expect(row.reactions).to.deep.equal({ '🔥': 50 });
    });

    it("keep the stored order and append a new key, as the original's dict did", async () => {
      const tanya = await room(TANYA);
      tanya.send({ action: 'react_message', message_id: 12, reaction: '👀' });
      expect((await tanya.next()).text).to.equal(
        '{"action": "reacted", "id": 12, "reactions": {"\\ud83d\\udc4d": 3, "\\u2764\\ufe0f": 1, "\\ud83d\\udc40": 1}}',
      );
      tanya.send({ action: 'react_message', message_id: 23, reaction: '👍' }); // room 2
      expect(await tanya.nextJson()).to.deep.equal({ error: ERR.reactFailed });
    });
  });

  describe('pins', () => {
    it('allow three pinned messages per room; unpin frees a place; re-pin renews', async () => {
      const kabir = await room(KABIR);
      const riya = await room(RIYA);
      kabir.send({ action: 'pin_message', message_id: 22 });
      const p = await riya.nextJson();
      expect(p).to.include({ action: 'message_pinned', id: 22, is_pinned: true });
      expect(p.pinned_at).to.match(/\+00:00$/);
      await kabir.next();
      kabir.send({ action: 'pin_message', message_id: 21 });
      expect(await kabir.nextJson()).to.deep.equal({ error: ERR.pinFailed });
      expect(await riya.silence(100)).to.deep.equal([]);
      riya.send({ action: 'pin_message', message_id: 13, pin: false });
      expect((await kabir.next()).text).to.equal('{"action": "message_pinned", "id": 13, "is_pinned": false, "pinned_at": null}');
      await riya.next();
      kabir.send({ action: 'pin_message', message_id: 21, pin: true });
      expect(await kabir.nextJson()).to.include({ id: 21, is_pinned: true });
      kabir.send({ action: 'pin_message', message_id: 14 }); // already pinned
      expect(await kabir.nextJson()).to.include({ id: 14, is_pinned: true });
      kabir.send({ action: 'pin_message', message_id: 24 }); // room 2
      expect(await kabir.nextJson()).to.deep.equal({ error: ERR.pinFailed });
      expect((await knex()('Chat_message').where({ room_id: 1, is_pinned: true }).orderBy('id').pluck('id')).map(Number)).to.deep.equal([14, 21, 22]);
    });

    it('hold the limit under concurrent pins', async () => {
      await knex()('Chat_message').where({ room_id: 1 }).update({ is_pinned: false, pinned_at: null });
      const clients = await Promise.all([ANAGH, RIYA, KABIR, MEERA, TANYA].map((t) => room(t)));
      [15, 16, 17, 18, 19].forEach((id, i) => clients[i].send({ action: 'pin_message', message_id: id }));
      const replies = await Promise.all(clients.map(async (c) => (await c.silence(1500)).map((f) => f.json as Record<string, unknown>)));
      const errors = replies.flat().filter((f) => f.error === ERR.pinFailed);
      expect(errors).to.have.length(2);
      expect(await count(knex(), 'Chat_message', { room_id: 1, is_pinned: true })).to.equal(3);
    });
  });

  describe('typing', () => {
    it('reaches everyone but the typist, with the same sender in start and stop', async () => {
      const meera = await room(MEERA);
      const kabir = await room(KABIR);
      const anagh = await room(ANAGH);
      meera.send({ action: 'typing' });
      const t = await kabir.next();
      expect(t.text).to.equal(
        '{"action": "typing", "sender": {"name": "Meera", "photo": "http://res.cloudinary.com/dcbla9zbl/image/upload/v1739200500/meeraprofilex1y2z3w4.png", "id": 4, "role": "member"}, "is_typing": true}',
      );
      expect((await anagh.next()).text).to.equal(t.text);
      meera.send({ action: 'stop_typing' });
      expect((await kabir.nextJson()).is_typing).to.equal(false);
      expect((await anagh.nextJson()).is_typing).to.equal(false);
      expect(await meera.silence(150)).to.deep.equal([]);
    });
  });

  describe('bad input', () => {
    const cases: Array<[string, string]> = [
      ['not json{', ERR.invalidJson],
      ['[1, 2]', ERR.notObject],
      ['"text"', ERR.notObject],
      ['null', ERR.notObject],
      ['{"message": 42}', ERR.messageType],
      ['{"message": ["a"]}', ERR.messageType],
      ['{"message": ""}', ERR.missingMessage],
      ['{"action": "send_message"}', ERR.missingMessage],
      ['{"message": "x", "mentions": "4"}', ERR.mentionsType],
      ['{"message": "x", "mentions": [{"id": 4}]}', ERR.mentionsType],
      ['{"message": "x", "parent_message_id": "abc"}', ERR.parentType],
      ['{"message": "x", "message_type": 5}', ERR.messageTypeType],
      ['{"message": "x", "attachment": 5}', ERR.attachmentType],
      ['{"action": "edit_message", "message_id": "abc", "new_content": "x"}', ERR.messageIdType],
      ['{"action": "edit_message", "message_id": 22, "new_content": 5}', ERR.newContentType],
      ['{"action": "edit_message", "message_id": 22}', ERR.editRequired],
      ['{"action": "delete_message"}', ERR.deleteRequired],
      ['{"action": "delete_message", "message_id": 1.5}', ERR.messageIdType],
      ['{"action": "react_message", "message_id": 12}', ERR.reactRequired],
      ['{"action": "react_message", "message_id": 12, "reaction": {"a": 1}}', ERR.reactionType],
      ['{"action": "pin_message"}', ERR.pinRequired],
      ['{"action": "pin_message", "message_id": 22, "pin": "no"}', ERR.pinType],
      ['{"action": "dance"}', ERR.unknownAction],
      ['{"action": null}', ERR.actionType],
      // issue 13 #10: a NUL is a validation error (Postgres refuses it in text), never an SQL error
      ['{"message": "a\\u0000b"}', ERR.nulChars],
      ['{"message": "x", "message_type": "te\\u0000xt"}', ERR.nulChars],
      ['{"message": "x", "attachment": "image/upload/\\u0000.jpg"}', ERR.nulChars],
      ['{"action": "edit_message", "message_id": 22, "new_content": "a\\u0000"}', ERR.nulChars],
      ['{"action": "react_message", "message_id": 12, "reaction": "\\u0000"}', ERR.nulChars],
      // issue 13 #10: attachments other members' apps open are media of this server's storage only
      ['{"message": "x", "attachment": "javascript:alert(document.cookie)"}', ERR.attachmentHost],
      ['{"message": "x", "attachment": "JavaScript:alert(1)"}', ERR.attachmentHost],
      ['{"message": "x", "attachment": "data:text/html,<script>alert(1)</script>"}', ERR.attachmentHost],
      ['{"message": "x", "attachment": "https://evil.example/res.cloudinary.com/dcbla9zbl/x.jpg"}', ERR.attachmentHost],
      ['{"message": "x", "attachment": "https://res.cloudinary.com/othercloud/image/upload/x.jpg"}', ERR.attachmentHost],
      ['{"message": "x", "attachment": "//evil.example/x.jpg"}', ERR.attachmentHost],
      ['{"message": "x", "attachment": "ftp://res.cloudinary.com/dcbla9zbl/x.jpg"}', ERR.attachmentHost],
    ];

    it('answers each with an error frame to the sender only, writes nothing, keeps the socket open', async () => {
      const kabir = await room(KABIR);
      const meera = await room(MEERA);
      const snapshot = async () =>
        JSON.stringify(await knex()('Chat_message').orderBy('id').select('id', 'content', 'reactions', 'is_pinned', 'is_deleted', 'is_edited'));
      const before = await snapshot();
      const mentionsBefore = await count(knex(), 'Chat_message_mentions');
      for (const [text, error] of cases) {
        kabir.send(text);
        const got = await kabir.next();
        expect(got.json, text).to.deep.equal({ error });
        expect(got.text).to.equal(JSON.stringify({ error }).replace('":"', '": "'));
      }
      expect(await meera.silence(100)).to.deep.equal([]);
      expect(await snapshot()).to.equal(before);
      expect(await count(knex(), 'Chat_message_mentions')).to.equal(mentionsBefore);
      kabir.send({ message: 'still here' });
      expect((await meera.nextJson()).message).to.equal('still here');
      expect(kabir.closed).to.equal(null);
    });

    it('answers binary frames with an error and keeps the socket', async () => {
      const kabir = await room(KABIR);
      kabir.ws.send(Buffer.from([1, 2, 3]));
      expect((await kabir.next()).text).to.equal(BINARY_FRAME_ERROR);
      kabir.send({ message: 'after binary' });
      expect((await kabir.nextJson()).message).to.equal('after binary');
    });

    it('closes a socket sending a frame over the size bound with 1009; others are unaffected', async () => {
      const kabir = await room(KABIR);
      const meera = await room(MEERA);
      kabir.send(JSON.stringify({ message: 'x'.repeat(70 * 1024) }));
      expect((await kabir.waitClosed()).code).to.equal(1009);
      meera.send({ message: 'fine' });
      expect((await meera.nextJson()).message).to.equal('fine');
      expect(await count(knex(), 'Chat_message', { content: 'x'.repeat(70 * 1024) })).to.equal(0);
    });
  });

  describe('access ends', () => {
    const rest = (method: string, path: string, token: string, body?: unknown) =>
      fetch(`${server.baseUrl}${path}`, {
        method,
        headers: { Authorization: `Token ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });

    it("a member who leaves the room has the room's sockets closed (4003); other rooms and members stay", async () => {
      const tanya = await room(TANYA);
      const tanya3 = await room(TANYA, 3);
      const meera = await room(MEERA);
      expect((await rest('POST', '/api/chat/group/1/remove-yourself/', TANYA)).status).to.equal(200);
      expect((await tanya.waitClosed()).code).to.equal(4003);
      meera.send({ message: 'after tanya left' });
      expect((await meera.nextJson()).message).to.equal('after tanya left');
      expect(tanya3.closed).to.equal(null);
      expect(await WsClient.handshakeStatus(`${server.wsUrl}/ws/chat/1/?token=${TANYA}`)).to.equal(403);
    });

    it('logout closes every socket of the user (its token is gone)', async () => {
      const kabir1 = await room(KABIR);
      const kabir2 = await room(KABIR, 2);
      const kabirN = await connect(`/ws/notifications/?token=${KABIR}`);
      const meera = await room(MEERA);
      expect((await rest('POST', '/api/user/logout/', KABIR)).status).to.equal(200);
      for (const c of [kabir1, kabir2, kabirN]) expect((await c.waitClosed()).code).to.equal(4003);
      expect(meera.closed).to.equal(null);
    });

    it('deleting or archiving a room closes every socket in it', async () => {
      const r1 = await Promise.all([MEERA, KABIR].map((t) => room(t)));
      const r3 = await Promise.all([MEERA, TANYA].map((t) => room(t, 3)));
      expect((await rest('DELETE', '/api/chat/delete-group/1/', ANAGH)).status).to.equal(200);
      for (const c of r1) expect((await c.waitClosed()).code).to.equal(4003);
      for (const c of r3) expect(c.closed).to.equal(null);
      expect((await rest('PUT', '/api/chat/edit-group/3/', RIYA, { is_active: false })).status).to.equal(200);
      for (const c of r3) expect((await c.waitClosed()).code).to.equal(4003);
    });
  });

  describe('flooding and slow readers', () => {
    let limited: TestServer;
    afterEach(async () => limited?.close());

    it('answers a flood with one error frame, then closes with 1008; the room goes on', async () => {
      limited = await startServer(backend, { seed: false, env: { WS_RATE_PER_SECOND: '5', WS_RATE_BURST: '5' } });
      const flood = await WsClient.connect(`${limited.wsUrl}/ws/chat/1/?token=${KABIR}`);
      const meera = await WsClient.connect(`${limited.wsUrl}/ws/chat/1/?token=${MEERA}`);
      open.push(flood, meera);
      for (let i = 0; i < 30; i++) flood.send({ action: 'typing' });
      expect((await flood.waitClosed(5000)).code).to.equal(1008);
      expect(flood.frames.map((f) => f.text)).to.include(RATE_LIMIT_ERROR);
      const typing = (await meera.silence(200)).filter((f) => (f.json as { action?: string }).action === 'typing');
      expect(typing.length).to.be.within(1, 6);
      const tanya = await WsClient.connect(`${limited.wsUrl}/ws/chat/1/?token=${TANYA}`);
      open.push(tanya);
      tanya.send({ message: 'after the flood' });
      expect((await meera.nextJson()).message).to.equal('after the flood');
    });

    it('closes a reader that stops reading once its buffer passes the bound; the others get every frame', async () => {
      limited = await startServer(backend, {
        seed: false,
        env: { WS_SEND_BUFFER_BYTES: String(1024 * 1024), WS_RATE_PER_SECOND: '10000', WS_RATE_BURST: '10000' },
      });
      const slow = await WsClient.connect(`${limited.wsUrl}/ws/chat/1/?token=${TANYA}`);
      const fast = await WsClient.connect(`${limited.wsUrl}/ws/chat/1/?token=${MEERA}`);
      const sender = await WsClient.connect(`${limited.wsUrl}/ws/chat/1/?token=${KABIR}`);
      open.push(slow, fast, sender);
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      // ~12 MiB in all: more than the paused reader's kernel buffers plus the 1 MiB bound
      const N = 400;
      const body = 'y'.repeat(30 * 1024);
      // Paced by the reading member (at most 20 frames ahead of it), so only the paused reader falls behind.
      for (let i = 0; i < N; i++) {
        const deadline = Date.now() + 30000;
        while (i - fast.frames.length > 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        sender.send({ message: `${i}:${body}` });
      }
      const t0 = Date.now();
      const got = await fast.take(N, 90000).catch((err: Error) => {
        throw new Error(
          `${err.message.slice(0, 100)} after ${Date.now() - t0} ms, fast closed: ${JSON.stringify(fast.closed)}, slow closed: ${JSON.stringify(slow.closed)}`,
        );
      });
      expect(got.map((f) => Number((f.json as { message: string }).message.split(':')[0]))).to.deep.equal([...Array(N).keys()]);
      expect(fast.closed).to.equal(null);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const closed = await slow.waitClosed(5000);
      expect([1013, 1006]).to.include(closed.code);
      expect(slow.frames.length).to.be.below(N);
    });

    it('closes open sockets with 1001 (going away) on shutdown', async () => {
      const own = await startServer(backend, { seed: false });
      const c = await WsClient.connect(`${own.wsUrl}/ws/chat/1/?token=${KABIR}`);
      const n = await WsClient.connect(`${own.wsUrl}/ws/notifications/?token=${KABIR}`);
      await own.close();
      expect((await c.waitClosed()).code).to.equal(1001);
      expect((await n.waitClosed()).code).to.equal(1001);
    });

    it('pings idle sockets and drops those that do not answer', async () => {
      limited = await startServer(backend, { seed: false, env: { WS_PING_INTERVAL_MS: '150', WS_PING_TIMEOUT_MS: '300' } });
      const alive = await WsClient.connect(`${limited.wsUrl}/ws/chat/1/?token=${KABIR}`);
      const dead = await WsClient.connect(`${limited.wsUrl}/ws/chat/1/?token=${MEERA}`);
      open.push(alive, dead);
      let pings = 0;
      alive.ws.on('ping', () => pings++);
      (dead.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      await new Promise((r) => setTimeout(r, 1200));
      (dead.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect(pings).to.be.greaterThan(0);
      expect(alive.closed).to.equal(null);
      expect((await dead.waitClosed(3000)).code).to.equal(1006);
    });
  });
});
