// Horizontal scale: two csi-chat servers in this test process, each with its own RedisChannelLayer
// (two client prefixes, i.e. two "processes" on the layer), one shared database. Clients on either
// server see each other's messages, edits, deletes, reactions, pins, typing and mention
// notifications, in order per sender; presence (who has a socket anywhere) decides pushes across them.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisChannelLayer } from '../../src/layers/redis.ts';
import type { LayerMessage } from '../../src/layers/types.ts';
import { publishNotifications } from '../../src/notification/service.ts';
import { backends, ROOT, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeNeeding, redisMissing, redisUrl } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { AdminClient } from '../helpers/adminClient.ts';
import { deleteByPrefix, testPrefix, until } from '../helpers/redis.ts';
import { createOnlineRegistry } from '../../src/realtime/online.ts';
import { createLogger } from '../../src/log.ts';
import type { PushNotification, PushSender } from '../../src/notification/push.ts';

class RecordingPush implements PushSender {
  readonly sent: Array<{ userIds: number[]; notification: PushNotification }> = [];
  async send(userIds: number[], notification: PushNotification): Promise<void> {
    this.sent.push({ userIds, notification });
  }
}

const PNG = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));
const KABIR = userToken('kabir.singh@akgec.ac.in');
const MEERA = userToken('meera.nair@akgec.ac.in');
const RIYA = userToken('riya.sharma@akgec.ac.in');
const TANYA = userToken('tanya.gupta@akgec.ac.in');

async function upload(srv: TestServer, roomId: number, token: string, content: string) {
  const form = new FormData();
  form.append('content', content);
  form.append('attachment', new File([new Uint8Array(PNG)], 'tiny.png', { type: 'image/png' }));
  const res = await fetch(`${srv.baseUrl}/api/chat/groups/${roomId}/messages/upload/`, {
    method: 'POST',
    headers: { Authorization: `Token ${token}` },
    body: form,
  });
  return { status: res.status, text: await res.text() };
}

async function listen(srv: TestServer, group: string) {
  const events: LayerMessage[] = [];
  const channel = srv.ctx.layer.newChannel();
  srv.ctx.layer.register(channel, (m) => events.push(m));
  await srv.ctx.layer.groupAdd(group, channel);
  return {
    events,
    stop: async () => {
      await srv.ctx.layer.groupDiscard(group, channel);
      srv.ctx.layer.unregister(channel);
    },
  };
}

for (const backend of backends()) {
  describeNeeding(`scale-out: two csi-chat servers on one Redis and one database [${backend}]`, [redisMissing], function () {
    this.timeout(120000);
    let url: string;
    let prefix: string;
    let a: TestServer;
    let b: TestServer;
    const pushA = new RecordingPush();
    const sockets: WsClient[] = [];

    async function ws(srv: TestServer, pathAndQuery: string): Promise<WsClient> {
      const c = await WsClient.connect(`${srv.wsUrl}${pathAndQuery}`);
      sockets.push(c);
      return c;
    }

    before(async () => {
      url = redisUrl();
      prefix = testPrefix();
      const la = new RedisChannelLayer({ url, prefix, blockTimeout: 1 });
      const lb = new RedisChannelLayer({ url, prefix, blockTimeout: 1 });
      await la.start();
      await lb.start();
      const log = createLogger('silent');
      a = await startServer(backend, { build: { layer: la, push: pushA, online: createOnlineRegistry(url, log) } });
      b = await startServer(backend, { build: { layer: lb, online: createOnlineRegistry(url, log) }, seed: false });
      expect(a.ctx.layer.kind).to.equal('redis');
      expect(la.clientPrefix).to.not.equal(lb.clientPrefix);
    });

    after(async () => {
      await a?.close();
      await b?.close();
      if (url) {
        const raw = new Redis(url);
        await deleteByPrefix(raw, prefix);
        raw.disconnect();
      }
    });

    beforeEach(async () => {
      await a.reset();
    });

    afterEach(() => {
      for (const s of sockets.splice(0)) s.close();
    });

    it('REST uploads on either server reach listeners on both, in order per sender; notifications cross too', async () => {
      const la = await listen(a, 'chat_1');
      const lb = await listen(b, 'chat_1');
      try {
        const N = 4;
        const sendAll = async (srv: TestServer, token: string, tag: string) => {
          for (let i = 0; i < N; i++) {
            const r = await upload(srv, 1, token, `${tag}-${i}`);
            expect(r.status, r.text).to.equal(201);
          }
        };
        await Promise.all([sendAll(a, KABIR, 'kabir@A'), sendAll(b, RIYA, 'riya@B')]);
        expect(await until(() => la.events.length === 2 * N && lb.events.length === 2 * N, 10000)).to.equal(true);
        for (const l of [la, lb]) {
          const texts = l.events.map((e) => e.message as string);
          expect(texts.filter((t) => t.startsWith('kabir@A'))).to.deep.equal([...Array(N).keys()].map((i) => `kabir@A-${i}`));
          expect(texts.filter((t) => t.startsWith('riya@B'))).to.deep.equal([...Array(N).keys()].map((i) => `riya@B-${i}`));
        }
        expect(lb.events.find((e) => e.message === 'kabir@A-0')).to.deep.equal(la.events.find((e) => e.message === 'kabir@A-0'));
        const stored = await a.ctx.db.knex('Chat_message').where('id', '>', 31).count<{ count: number }[]>('* as count');
        expect(Number(stored[0].count)).to.equal(2 * N);

        const nb = await listen(b, 'notifications_4');
        const payload = { id: 99, event_type: 'chat_mention', message: 'x', url: null, created_at: '2026-11-24T00:30:33.847620+00:00' };
        await publishNotifications(a.ctx, [{ userId: 4, payload }]);
        expect(await until(() => nb.events.length === 1, 5000)).to.equal(true);
        expect(nb.events[0]).to.deep.equal({ type: 'send_notification', notification: payload });
        await nb.stop();
      } finally {
        await la.stop();
        await lb.stop();
      }
    });

    it('chat sockets on both servers: messages from each side arrive everywhere, in order per sender', async function () {
      const kabirA = await ws(a, `/ws/chat/1/?token=${KABIR}`);
      const meeraB = await ws(b, `/ws/chat/1/?token=${MEERA}`);
      const riyaB = await ws(b, `/ws/chat/1/?token=${RIYA}`);
      const N = 10;
      for (let i = 0; i < N; i++) {
        kabirA.send({ message: `k${i}` });
        meeraB.send({ message: `m${i}` });
      }
      for (const c of [kabirA, meeraB, riyaB]) {
        const frames = (await c.take(2 * N, 10000)).map((f) => f.json as { message: string; is_self: boolean; sender: { id: number } });
        expect(frames.filter((f) => f.message.startsWith('k')).map((f) => f.message)).to.deep.equal([...Array(N).keys()].map((i) => `k${i}`));
        expect(frames.filter((f) => f.message.startsWith('m')).map((f) => f.message)).to.deep.equal([...Array(N).keys()].map((i) => `m${i}`));
        if (c === kabirA) expect(frames.filter((f) => f.is_self).every((f) => f.sender.id === 3)).to.equal(true);
      }
      const stored = await a.ctx.db.knex('Chat_message').where('id', '>', 31).count<{ count: number }[]>('* as count');
      expect(Number(stored[0].count)).to.equal(2 * N);
    });

    it('edits, deletes, reactions, pins and typing cross servers', async function () {
      const kabirA = await ws(a, `/ws/chat/1/?token=${KABIR}`);
      const tanyaA = await ws(a, `/ws/chat/1/?token=${TANYA}`);
      const meeraB = await ws(b, `/ws/chat/1/?token=${MEERA}`);
      const riyaB = await ws(b, `/ws/chat/1/?token=${RIYA}`);

      kabirA.send({ action: 'edit_message', message_id: 22, new_content: 'edited on A' });
      expect(await meeraB.nextJson(5000)).to.deep.equal({ action: 'edited', id: 22, new_content: 'edited on A' });

      meeraB.send({ action: 'delete_message', message_id: 15 });
      expect(await kabirA.nextJson(5000)).to.deep.equal({ action: 'edited', id: 22, new_content: 'edited on A' });
      expect(await kabirA.nextJson(5000)).to.deep.equal({ action: 'deleted', id: 15 });

      tanyaA.send({ action: 'react_message', message_id: 12, reaction: '👍' });
      const reacted = await riyaB.take(3, 5000);
      expect(reacted.map((f) => (f.json as { action: string }).action)).to.deep.equal(['edited', 'deleted', 'reacted']);
      expect(reacted[2].json).to.deep.equal({ action: 'reacted', id: 12, reactions: { '👍': 4, '❤️': 1 } });

      kabirA.send({ action: 'pin_message', message_id: 22 });
      // meeraB already read the edit: its own delete, the reaction, then the pin
      const pinned = (await meeraB.take(3, 5000)).map((f) => f.json as Record<string, unknown>);
      expect(pinned.map((f) => f.action)).to.deep.equal(['deleted', 'reacted', 'message_pinned']);
      expect(pinned[2]).to.deep.include({ action: 'message_pinned', id: 22, is_pinned: true });

      meeraB.send({ action: 'typing' });
      // kabirA already read the edit and the delete: the reaction, the pin, then the typing
      const typing = (await kabirA.take(3, 5000)).map((f) => f.json as Record<string, unknown>);
      expect(typing.map((f) => f.action)).to.deep.equal(['reacted', 'message_pinned', 'typing']);
      expect(typing[2]).to.deep.include({ action: 'typing', is_typing: true });
      expect((typing[2].sender as { id: number }).id).to.equal(4);
      // the typist's own socket gets nothing for it
      const own = (await meeraB.silence(300)).map((f) => f.json as Record<string, unknown>);
      expect(own.filter((f) => f.action === 'typing')).to.deep.equal([]);
    });

    it("a mention on server A reaches the mentioned user's notification socket on server B", async function () {
      const meeraNotifB = await ws(b, `/ws/notifications/?token=${MEERA}`);
      const kabirA = await ws(a, `/ws/chat/1/?token=${KABIR}`);
      kabirA.send({ message: '@Meera standup now', mentions: [4] });
      const n = await meeraNotifB.nextJson<{ notification: Record<string, unknown> }>(5000);
      expect(n.notification).to.deep.include({ event_type: 'chat_mention', url: null });
      expect(n.notification.message).to.match(/^You were mentioned in .* chat by Kabir$/);
    });

    it('access ends on every server: leaving a room through server A closes the socket on server B (4003)', async function () {
      const tanyaB = await ws(b, `/ws/chat/1/?token=${TANYA}`);
      const tanyaB3 = await ws(b, `/ws/chat/3/?token=${TANYA}`);
      const res = await fetch(`${a.baseUrl}/api/chat/group/1/remove-yourself/`, { method: 'POST', headers: { Authorization: `Token ${TANYA}` } });
      expect(res.status).to.equal(200);
      expect((await tanyaB.waitClosed(5000)).code).to.equal(4003);
      expect(tanyaB3.closed).to.equal(null);
    });

    it('an admin edit on server A ends access on server B too: a member removed, then the room deactivated (4003)', async function () {
      const tanyaB = await ws(b, `/ws/chat/1/?token=${TANYA}`);
      const kabirB = await ws(b, `/ws/chat/1/?token=${KABIR}`);
      const admin = new AdminClient(a.baseUrl);
      expect((await admin.login('anagh.jaiswar@akgec.ac.in', 'Anagh@4thYear')).status).to.equal(302);
      const params = await admin.recordParams('Chat.room', 1);
      const members = Object.entries(params)
        .filter(([k, v]) => k.startsWith('members.') && v !== '6')
        .map(([, v]) => v);
      for (const k of Object.keys(params)) if (k.startsWith('members.')) delete params[k];
      members.forEach((v, i) => (params[`members.${i}`] = v));
      let r = await admin.post('/admin/api/resources/Chat.room/records/1/edit', params);
      expect(r.json().record.errors).to.deep.equal({});
      expect((await tanyaB.waitClosed(5000)).code).to.equal(4003);
      expect(kabirB.closed).to.equal(null);
      r = await admin.post('/admin/api/resources/Chat.room/records/1/edit', { is_active: 'false' });
      expect(r.json().record.errors).to.deep.equal({});
      expect((await kabirB.waitClosed(5000)).code).to.equal(4003);
    });

    it('presence crosses servers: a mention pushes only members with no socket on any server', async function () {
      pushA.sent.length = 0;
      await ws(b, `/ws/notifications/?token=${MEERA}`); // Meera online on B only
      const kabirA = await ws(a, `/ws/chat/1/?token=${KABIR}`);
      // B advertises Meera asynchronously; A must see her before the mention (Tanya stays offline)
      expect(
        await until(async () => (await a.ctx.online.onlineAmong([4, 6])).size === 1 && (await a.ctx.online.onlineAmong([4])).has(4), 5000),
      ).to.equal(true);
      kabirA.send({ message: '@Meera @Tanya', mentions: [4, 6] });
      await kabirA.next(5000);
      expect(await until(() => pushA.sent.length === 1, 5000)).to.equal(true);
      expect(pushA.sent[0].userIds).to.deep.equal([6]);
    });
  });
}
