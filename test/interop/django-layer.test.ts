// csi-chat's Redis layer and a real Django Channels process (Debian's Django + channels +
// channels_redis, test/interop/peer.py) on the same Redis, default prefix "asgi": both directions,
// every chat event shape through a Django consumer's handlers (a missing key would crash it),
// direct sends, per-sender order with both sides sending, and leaving a group.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisChannelLayer } from '../../src/layers/redis.ts';
import type { LayerMessage } from '../../src/layers/types.ts';
import type { ChatEvent } from '../../src/chat/events.ts';
import { describeNeeding, redisMissing, redisUrl } from '../helpers/suites.ts';
import { until } from '../helpers/redis.ts';
import { DjangoPeer, interopUnavailable } from './peer.ts';

describeNeeding(
  'interop: Django Channels peer (channels_redis RedisChannelLayer) on the same Redis',
  [redisMissing, interopUnavailable],
  function () {
    this.timeout(60000);
    let url: string;
    let peer: DjangoPeer;
    let node: RedisChannelLayer;
    let raw: Redis;
    const room = 900000 + Math.floor(Math.random() * 99999);
    const group = `chat_${room}`;

    before(async () => {
      url = redisUrl();
      raw = new Redis(url);
      peer = await DjangoPeer.start({ REDIS_URL: url });
      node = new RedisChannelLayer({ url, blockTimeout: 1 });
      await node.start();
    });

    after(async () => {
      await node?.close();
      await peer?.stop();
      if (raw) {
        await raw.del(`asgi:group:${group}`, `asgi:group:notifications_${room}`);
        raw.disconnect();
      }
    });

    it('the peer is real Django Channels with channels_redis', () => {
      const v = peer.ready.versions as Record<string, string>;
      console.log(`      Django ${v.django}, channels ${v.channels}, channels_redis ${v.channels_redis}`);
      expect(v.channels_redis).to.match(/^4\./);
      expect(peer.ready.client_prefix).to.match(/^[0-9a-f]{32}$/);
    });

    it('(a) csi-chat group_send of every chat event reaches a Django consumer socket in the group, handlers run, socket stays open', async () => {
      const { conn } = (await peer.command({ op: 'connect', path: `/ws/chat/${room}/` })) as { conn: number };
      const { channel: bare } = (await peer.command({ op: 'listen', group })) as { channel: string };
      const events: ChatEvent[] = [
        {
          type: 'chat_message',
          message: 'héllo ✓',
          sender: { id: 3, name: 'Asha', photo: null, role: 'Member' },
          message_type: 'text',
          attachment: null,
          id: 41,
          created_at: '2026-11-24T10:15:00.123456+00:00',
          room,
          parent_message_id: 40,
        },
        { type: 'chat_message_edited', id: 41, new_content: 'edited' },
        { type: 'chat_message_reacted', id: 41, reactions: { '👍': 2, '❤️': 1 } },
        { type: 'chat_message_pinned', id: 41, is_pinned: true, pinned_at: '2026-11-24T10:16:00+00:00' },
        { type: 'chat_typing', sender: { id: 3, name: 'Asha' }, is_typing: true },
        { type: 'chat_message_deleted', id: 41 },
      ];
      for (const e of events) await node.groupSend(group, e as unknown as LayerMessage);
      await until(() => peer.frames(conn).length === events.length && peer.messages(bare).length === events.length, 10000);
      const frames = peer.frames(conn);
      expect(frames.map((f) => f.handler)).to.deep.equal(events.map((e) => e.type));
      expect(frames[0].frame).to.deep.equal({
        message: 'héllo ✓',
        sender: { id: 3, name: 'Asha', photo: null, role: 'Member' },
        message_type: 'text',
        id: 41,
        attachment: null,
        created_at: '2026-11-24T10:15:00.123456+00:00',
        room,
        parent_message_id: 40,
        is_self: false,
      });
      expect(frames[2].frame).to.deep.equal({ id: 41, reactions: { '👍': 2, '❤️': 1 } });
      expect(frames[3].frame).to.deep.equal({ id: 41, is_pinned: true, pinned_at: '2026-11-24T10:16:00+00:00' });
      // the bare layer channel gets exactly the dict (no __asgi_channel__), key order kept
      const got = peer.messages(bare);
      expect(got).to.deep.equal(events);
      expect(Object.keys(got[0])).to.deep.equal(Object.keys(events[0]));
      expect(peer.closedEvents()).to.deep.equal([]);
    });

    it('(a) csi-chat direct send to a Django channel (__asgi_channel__ as a string) and a notification to a Django socket', async () => {
      const { channel } = (await peer.command({ op: 'listen', group: `notifications_${room}` })) as { channel: string };
      const { conn } = (await peer.command({ op: 'connect', path: `/ws/notifications/${room}/` })) as { conn: number };
      await node.send(channel, { type: 'direct', x: 1, f: 0.5 });
      const notification = { id: 9, event_type: 'chat', message: 'Asha mentioned you', url: null, created_at: '2026-11-24T10:15:00.123456+00:00' };
      await node.groupSend(`notifications_${room}`, { type: 'send_notification', notification });
      await until(() => peer.messages(channel).length === 2 && peer.frames(conn).length === 1, 10000);
      expect(peer.messages(channel)[0]).to.deep.equal({ type: 'direct', x: 1, f: { __float__: 0.5 } });
      expect(peer.frames(conn)).to.deep.equal([{ handler: 'send_notification', frame: { notification } }]);
    });

    it('(b) Django group_send of chat_message reaches a csi-chat channel as the same dict', async () => {
      const ch = node.newChannel();
      const got: LayerMessage[] = [];
      node.register(ch, (m) => got.push(m));
      await node.groupAdd(group, ch);
      const event = {
        type: 'chat_message',
        message: 'from django',
        sender: { id: 2, name: 'Ravi', photo: 'https://res.cloudinary.com/x/y.png', role: 'Admin' },
        message_type: 'text',
        attachment: null,
        id: 77,
        created_at: '2026-11-24T10:20:00.5+00:00',
        room,
      };
      await peer.command({ op: 'group_send', group, message: event });
      expect(await until(() => got.length === 1, 10000)).to.equal(true);
      expect(got[0]).to.deep.equal(event);
      expect(Object.keys(got[0])).to.deep.equal(Object.keys(event));
      // and Django's direct send to a csi-chat channel
      await peer.command({ op: 'send', channel: ch, message: { type: 'chat_typing', sender: { id: 2 }, is_typing: false } });
      expect(await until(() => got.length === 2, 10000)).to.equal(true);
      expect(got[1]).to.deep.equal({ type: 'chat_typing', sender: { id: 2 }, is_typing: false });
      node.unregister(ch);
    });

    it('both sides sending into one group: every receiver sees each sender in order', async () => {
      const ch = node.newChannel();
      const got: LayerMessage[] = [];
      node.register(ch, (m) => got.push(m));
      await node.groupAdd(group, ch);
      const { conn } = (await peer.command({ op: 'connect', path: `/ws/chat/${room}/` })) as { conn: number };
      const N = 40;
      const djangoSends = (async () => {
        for (let i = 0; i < N; i++)
          await peer.command({ op: 'group_send', group, message: { type: 'chat_message_edited', id: 1000 + i, new_content: 'django' } });
      })();
      for (let i = 0; i < N; i++) await node.groupSend(group, { type: 'chat_message_edited', id: 2000 + i, new_content: 'node' });
      await djangoSends;
      expect(await until(() => got.length === 2 * N && peer.frames(conn).length === 2 * N, 15000)).to.equal(true);
      const ids = (list: ReadonlyArray<object>, from: number) =>
        list.map((m) => (m as { id: number }).id).filter((id) => id >= from && id < from + N);
      expect(ids(got, 1000)).to.deep.equal([...Array(N).keys()].map((i) => 1000 + i));
      expect(ids(got, 2000)).to.deep.equal([...Array(N).keys()].map((i) => 2000 + i));
      const frames = peer.frames(conn).map((f) => f.frame as { id: number });
      expect(ids(frames, 1000)).to.deep.equal([...Array(N).keys()].map((i) => 1000 + i));
      expect(ids(frames, 2000)).to.deep.equal([...Array(N).keys()].map((i) => 2000 + i));
      await node.groupDiscard(group, ch);
      node.unregister(ch);
      // after discard, Django's sends no longer land in csi-chat's queue
      await peer.command({ op: 'group_send', group, message: { type: 'chat_message_deleted', id: 1 } });
      expect(await raw.exists(node.queueKey)).to.equal(0);
      expect(peer.closedEvents()).to.deep.equal([]);
    });
  },
);
