// Several Redis hosts with a real Django Channels peer: two redis-servers started by the test, REDIS_URL
// listing both (the peer's settings turn the list into channels_redis's `hosts`), and csi-chat's layer on the
// same list. Both sides must agree on where every group and every process queue lives, or messages land
// on a host nobody reads: checked by asking the peer's own consistent_hash, by looking at the keys on each
// server, and by delivery both ways for groups on each host, to queues on the other host.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisChannelLayer } from '../../src/layers/redis.ts';
import { consistentHash } from '../../src/layers/ring.ts';
import type { LayerMessage } from '../../src/layers/types.ts';
import { describeNeeding, redisMissing } from '../helpers/suites.ts';
import { RedisServerProcess, until, prefixOnHost, groupOnHost } from '../helpers/redis.ts';
import { DjangoPeer, interopUnavailable } from './peer.ts';

describeNeeding(
  'interop: Django Channels peer and csi-chat on two Redis hosts (channels_redis hosts list)',
  [redisMissing, interopUnavailable],
  function () {
    this.timeout(60000);
    let hosts: RedisServerProcess[];
    let raws: Redis[];
    let peer: DjangoPeer;
    let node: RedisChannelLayer;
    let djangoHome: number;

    before(async () => {
      hosts = [await RedisServerProcess.start(), await RedisServerProcess.start()];
      const urls = hosts.map((h) => h.url);
      raws = urls.map((u) => new Redis(u));
      peer = await DjangoPeer.start({ REDIS_URL: urls.join(',') });
      djangoHome = consistentHash(`specific.${String(peer.ready.client_prefix)}!`, 2);
      // csi-chat's queue on the OTHER host than Django's: every delivery below crosses hosts one way or the other.
      node = new RedisChannelLayer({ url: urls, blockTimeout: 1, clientPrefix: prefixOnHost(1 - djangoHome, 2) });
      await node.start();
    });

    after(async () => {
      await node?.close();
      await peer?.stop();
      for (const r of raws ?? []) r.disconnect();
      for (const h of hosts ?? []) await h.kill();
    });

    it("the peer's consistent_hash over its two hosts is csi-chat's, for groups and process names", async () => {
      const values: string[] = [];
      for (let i = 1; i <= 150; i++) values.push(`chat_${i}`, `notifications_${i}`);
      for (let i = 0; i < 50; i++) values.push(`specific.${prefixOnHost(i % 2, 2)}!`);
      const reply = (await peer.command({ op: 'hash', values })) as { ring_size: number; indexes: number[] };
      expect(reply.ring_size).to.equal(2);
      expect(values.map((v) => consistentHash(v, 2))).to.deep.equal(reply.indexes);
      expect(new Set(reply.indexes)).to.deep.equal(new Set([0, 1])); // both hosts used
    });

    for (const host of [0, 1]) {
      it(`a group on host ${host}: csi-chat's group_add lands where Django's group_send reads it, and Django's where csi-chat's reads`, async () => {
        const group = groupOnHost('chat', host, 2, 7);
        const ch = node.newChannel();
        const got: LayerMessage[] = [];
        node.register(ch, (m) => got.push(m));
        await node.groupAdd(group, ch);
        expect(await raws[host].zscore(`asgi:group:${group}`, ch)).to.not.equal(null);
        expect(await raws[1 - host].exists(`asgi:group:${group}`)).to.equal(0);
        const { channel: djangoCh } = (await peer.command({ op: 'listen', group })) as { channel: string };
        expect(await raws[host].zscore(`asgi:group:${group}`, djangoCh)).to.not.equal(null);
        const { conn } = (await peer.command({ op: 'connect', path: `/ws/chat/${group.slice(5)}/` })) as { conn: number };

        const fromDjango = { type: 'chat_message_edited', id: 1, new_content: `django on host ${host}` };
        await peer.command({ op: 'group_send', group, message: fromDjango });
        expect(await until(() => got.length === 1, 10000)).to.equal(true);
        expect(got[0]).to.deep.equal(fromDjango);

        const fromNode = { type: 'chat_message_edited', id: 2, new_content: `csi-chat on host ${host}` };
        await node.groupSend(group, fromNode);
        expect(await until(() => peer.messages(djangoCh).length === 2 && peer.frames(conn).length === 2, 10000)).to.equal(true);
        expect(peer.messages(djangoCh)).to.deep.equal([fromDjango, fromNode]);
        expect(peer.frames(conn).map((f) => f.frame)).to.deep.equal([
          { id: 1, new_content: `django on host ${host}` },
          { id: 2, new_content: `csi-chat on host ${host}` },
        ]);
        await node.groupDiscard(group, ch);
        node.unregister(ch);
      });
    }

    it("csi-chat's direct send reaches a Django channel on the host Django polls (its non-local name's host)", async () => {
      const group = groupOnHost('notifications', 1 - djangoHome, 2);
      const { channel } = (await peer.command({ op: 'listen', group })) as { channel: string };
      await node.send(channel, { type: 'direct', x: 1 });
      expect(await until(() => peer.messages(channel).length === 1, 10000)).to.equal(true);
      expect(peer.messages(channel)[0]).to.deep.equal({ type: 'direct', x: 1 });
      expect(peer.closedEvents()).to.deep.equal([]);
    });
  },
);
