// A csi-chat server (Redis layer) and a Django Channels peer on the same Redis, with real sockets on the
// csi-chat side: what a csi-chat client sends reaches the Django consumer's socket, and a Django
// group_send of chat_message reaches csi-chat clients as the original's frame, byte for byte.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { describeServer, redisUrl } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { until } from '../helpers/redis.ts';
import { DjangoPeer, interopUnavailable } from './peer.ts';

const SUITE = { backend: 'pglite', redis: true, needs: [interopUnavailable], resetEachTest: false, timeout: 60000 } as const;
describeServer('interop: csi-chat sockets and a Django Channels peer in one room', SUITE, (server) => {
  let peer: DjangoPeer;
  const clients: WsClient[] = [];

  before(async () => {
    peer = await DjangoPeer.start({ REDIS_URL: redisUrl() });
  });

  after(async () => {
    for (const c of clients) c.close();
    await peer?.stop();
  });

  it('a message sent by a csi-chat client reaches the Django consumer socket in chat_1 with the same fields', async () => {
    expect(server.ctx.layer.kind).to.equal('redis');
    const { conn } = (await peer.command({ op: 'connect', path: '/ws/chat/1/' })) as { conn: number };
    const kabir = await WsClient.connect(`${server.wsUrl}/ws/chat/1/?token=${userToken('Kabir')}`);
    clients.push(kabir);
    kabir.send({ message: 'hello Django', parent_message_id: 4 });
    const own = await kabir.nextJson<Record<string, unknown>>(5000);
    await until(() => peer.frames(conn).length === 1, 10000);
    const [got] = peer.frames(conn);
    expect(got.handler).to.equal('chat_message');
    const frame = got.frame as Record<string, unknown>;
    for (const key of ['message', 'sender', 'message_type', 'id', 'attachment', 'created_at', 'room']) {
      expect(frame[key], key).to.deep.equal(own[key]);
    }
    expect(frame.parent_message_id).to.equal(4);
    expect(peer.closedEvents()).to.deep.equal([]);
  });

  it('a Django group_send of chat_message reaches csi-chat clients as the original frame (parent looked up)', async () => {
    const meera = await WsClient.connect(`${server.wsUrl}/ws/chat/1/?token=${userToken('Meera')}`);
    const tanya = await WsClient.connect(`${server.wsUrl}/ws/chat/1/?token=${userToken('Tanya')}`);
    clients.push(meera, tanya);
    const event = {
      type: 'chat_message',
      message: 'from Django',
      sender: { name: 'Meera', photo: null, id: 4, role: 'member' },
      message_type: 'text',
      attachment: null,
      id: 31,
      created_at: '2026-11-24T10:20:00.500000+00:00',
      room: 1,
      parent_message_id: 4,
    };
    await peer.command({ op: 'group_send', group: 'chat_1', message: event });
    const [m, t] = await Promise.all([meera.next(10000), tanya.next(10000)]);
    const parent =
      '{"id": 4, "content": "Reminder: orientation is on Friday at 4 PM in CSIT lab.", "sender": {"id": 2, "name": "Riya", "photo": "http://res.cloudinary.com/dcbla9zbl/image/upload/v1739200000/q3k9x8m2n1b4v5c6z7a8.png"}, "created_at": "2025-04-10T03:35:00+00:00"}';
    const frame = (self: boolean) =>
      `{"message": "from Django", "sender": {"name": "Meera", "photo": null, "id": 4, "role": "member"}, "message_type": "text", "id": 31, "is_self": ${self}, "attachment": null, "created_at": "2026-11-24T10:20:00.500000+00:00", "room": 1, "parent_message": ${parent}}`;
    expect(m.text).to.equal(frame(true));
    expect(t.text).to.equal(frame(false));
  });

  it("Django typing and edits reach csi-chat clients; the typist's own sockets are skipped", async () => {
    const kabir = await WsClient.connect(`${server.wsUrl}/ws/chat/1/?token=${userToken('Kabir')}`);
    const meera = await WsClient.connect(`${server.wsUrl}/ws/chat/1/?token=${userToken('Meera')}`);
    clients.push(kabir, meera);
    await peer.command({
      op: 'group_send',
      group: 'chat_1',
      message: { type: 'chat_typing', sender: { name: 'Kabir', photo: null, id: 3, role: 'member' }, is_typing: true },
    });
    await peer.command({ op: 'group_send', group: 'chat_1', message: { type: 'chat_message_edited', id: 22, new_content: 'edited in Django' } });
    expect((await meera.next(10000)).text).to.equal(
      '{"action": "typing", "sender": {"name": "Kabir", "photo": null, "id": 3, "role": "member"}, "is_typing": true}',
    );
    expect((await meera.next(10000)).text).to.equal('{"action": "edited", "id": 22, "new_content": "edited in Django"}');
    expect((await kabir.next(10000)).text).to.equal('{"action": "edited", "id": 22, "new_content": "edited in Django"}');
  });
});
