// POST /api/chat/groups/<id>/messages/upload/: real PNG and PDF through multipart, to the Cloudinary
// SDK (pointed at a local fake of the Upload API) and to local disk; the stored row, the 201 body, the
// chat_message layer event and the frame another member's socket receives; failures store nothing.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, userToken, type TestServer } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import type { LayerMessage } from '../../src/layers/types.ts';

const FILES = path.join(ROOT, 'fixtures/golden/files');
const PNG = fs.readFileSync(path.join(FILES, 'tiny.png'));
const PDF = fs.readFileSync(path.join(FILES, 'tiny.pdf'));
const KABIR = userToken('kabir.singh@akgec.ac.in');
const RIYA = userToken('riya.sharma@akgec.ac.in');
const MEERA = userToken('meera.nair@akgec.ac.in');
const DEV = userToken('dev.outsider@akgec.ac.in');

const CLOUD_PNG = /^http:\/\/res\.cloudinary\.com\/dcbla9zbl\/image\/upload\/v(\d{10})\/([a-z0-9]{20})\.png$/;
const CLOUD_PDF = /^http:\/\/res\.cloudinary\.com\/dcbla9zbl\/image\/upload\/v(\d{10})\/([a-z0-9]{20})\.pdf$/;
const UTC_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;

type Part = string | { data: Buffer; filename: string; type: string };

async function upload(srv: TestServer, roomId: number | string, token: string, parts: Record<string, Part>) {
  const form = new FormData();
  for (const [k, v] of Object.entries(parts)) {
    if (typeof v === 'string') form.append(k, v);
    else form.append(k, new File([new Uint8Array(v.data)], v.filename, { type: v.type }));
  }
  const res = await fetch(`${srv.baseUrl}/api/chat/groups/${roomId}/messages/upload/`, {
    method: 'POST',
    headers: { Authorization: `Token ${token}` },
    body: form,
  });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

async function messageCount(srv: TestServer): Promise<number> {
  const row = await srv.ctx.db.knex('Chat_message').count<{ count: number }[]>('* as count');
  return Number(row[0].count);
}

/** Joins the room's layer group like a socket would and collects what is broadcast. */
async function listen(srv: TestServer, roomId: number): Promise<{ events: LayerMessage[]; stop(): Promise<void> }> {
  const events: LayerMessage[] = [];
  const channel = srv.ctx.layer.newChannel();
  srv.ctx.layer.register(channel, (m) => events.push(m));
  await srv.ctx.layer.groupAdd(`chat_${roomId}`, channel);
  return {
    events,
    async stop() {
      await srv.ctx.layer.groupDiscard(`chat_${roomId}`, channel);
      srv.ctx.layer.unregister(channel);
    },
  };
}

async function until<T>(f: () => T | undefined, ms = 2000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describeServer('message uploads to Cloudinary (SDK → fake Upload API)', { timeout: 120000, cloudinary: true }, (srv, { cloudinary: fake }) => {
  before(() => {
    expect(srv.ctx.storage.kind).to.equal('cloudinary');
  });

  it('stores a PNG with content: CloudinaryField value, 201 body, chat_message event with the REST sender', async () => {
    const l = await listen(srv, 1);
    try {
      const res = await upload(srv, 1, KABIR, { attachment: { data: PNG, filename: 'tiny.png', type: 'image/png' }, content: 'whiteboard photo' });
      expect(res.status, res.text).to.equal(201);
      expect(res.type).to.equal('application/json');
      const body = JSON.parse(res.text);
      expect(Object.keys(body)).to.deep.equal(['content', 'attachment', 'parent_message']);
      expect(body.content).to.equal('whiteboard photo');
      expect(body.parent_message).to.equal(null);
      const m = CLOUD_PNG.exec(body.attachment)!;
      expect(m, body.attachment).to.not.equal(null);

      // What reached the Upload API: the PNG's bytes, signed, as resource_type auto → image.
      expect(fake.uploads).to.have.length(1);
      expect(fake.uploads[0].bytes.equals(PNG)).to.equal(true);
      expect(fake.uploads[0].filename).to.equal('tiny.png');
      expect(fake.uploads[0].publicId).to.equal(m[2]);

      const row = await srv.ctx.db.knex('Chat_message').where({ id: 32 }).first();
      expect(row.attachment).to.equal(`image/upload/v${m[1]}/${m[2]}.png`);
      expect(row).to.include({
        message_type: 'image',
        content: 'whiteboard photo',
        sender_id: 3,
        room_id: 1,
        parent_message_id: null,
        is_deleted: false,
        is_edited: false,
        is_pinned: false,
        reactions: null,
      });
      expect(row.status).to.deep.equal({});
      expect(row.created_at).to.be.a('string');

      const ev = await until(() => l.events[0]);
      expect(Object.keys(ev)).to.deep.equal([
        'type',
        'message',
        'attachment',
        'sender',
        'message_type',
        'id',
        'created_at',
        'room',
        'parent_message_id',
      ]);
      expect(ev).to.deep.include({
        type: 'chat_message',
        message: 'whiteboard photo',
        attachment: body.attachment,
        message_type: 'image',
        id: 32,
        room: 1,
        parent_message_id: null,
      });
      // The sender as the REST UserSerializer shows it, last_seen as before this request.
      expect(ev.sender).to.deep.equal({
        id: 3,
        first_name: 'Kabir',
        last_name: 'Singh',
        role: 'member',
        photo: null,
        year: '2nd',
        current_status: '2025-04-11 10:15:00',
      });
      expect(ev.created_at).to.match(UTC_ISO);

      // The history shows the same URL.
      const hist = await fetch(`${srv.baseUrl}/api/chat/groups/1/messages/?page_size=1`, { headers: { Authorization: `Token ${MEERA}` } });
      const page = await hist.json();
      expect(page.results[0]).to.deep.include({
        id: 32,
        attachment: body.attachment,
        message_type: 'image',
        content: 'whiteboard photo',
        is_self: false,
      });
    } finally {
      await l.stop();
    }
  });

  it('stores a PDF reply without content as message_type file (image resource, like the original)', async () => {
    const l = await listen(srv, 1);
    try {
      const res = await upload(srv, 1, RIYA, { attachment: { data: PDF, filename: 'minutes.pdf', type: 'application/pdf' }, parent_message: '12' });
      expect(res.status, res.text).to.equal(201);
      const body = JSON.parse(res.text);
      expect(body.content).to.equal(null);
      expect(body.parent_message).to.equal(12);
      const m = CLOUD_PDF.exec(body.attachment)!;
      expect(m, body.attachment).to.not.equal(null);
      const row = await srv.ctx.db.knex('Chat_message').where({ id: 32 }).first();
      expect(row).to.include({
        attachment: `image/upload/v${m[1]}/${m[2]}.pdf`,
        message_type: 'file',
        content: null,
        parent_message_id: 12,
        sender_id: 2,
      });
      const ev = await until(() => l.events[0]);
      expect(ev).to.deep.include({ message: null, message_type: 'file', parent_message_id: 12, attachment: body.attachment });
      expect((ev.sender as { id: number }).id).to.equal(2);
    } finally {
      await l.stop();
    }
  });

  it("delivers the upload frame to another member's socket", async function () {
    const meera = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${MEERA}`);
    const kabir = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${KABIR}`);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const res = await upload(srv, 1, KABIR, { attachment: { data: PNG, filename: 'tiny.png', type: 'image/png' }, content: 'whiteboard photo' });
      expect(res.status, res.text).to.equal(201);
      const url = JSON.parse(res.text).attachment;
      const frame = await meera.next();
      expect(frame.json).to.deep.equal({
        message: 'whiteboard photo',
        sender: { id: 3, first_name: 'Kabir', last_name: 'Singh', role: 'member', photo: null, year: '2nd', current_status: '2025-04-11 10:15:00' },
        message_type: 'image',
        id: 32,
        is_self: false,
        attachment: url,
        created_at: (frame.json as { created_at: string }).created_at,
        room: 1,
        parent_message: null,
      });
      expect((frame.json as { created_at: string }).created_at).to.match(UTC_ISO);
      expect(frame.text.startsWith('{"message": "whiteboard photo", "sender": {"id": 3,')).to.equal(true);
      const own = await kabir.nextJson();
      expect(own.is_self).to.equal(true);
    } finally {
      meera.close();
      kabir.close();
    }
  });

  it('stores nothing and uploads nothing on validation, room and membership failures', async () => {
    const before = await messageCount(srv);
    const cases: Array<[number | string, string, Record<string, Part>, number, string]> = [
      [1, KABIR, { content: 'no file' }, 400, '{"attachment":["No file was submitted."]}'],
      [1, KABIR, { attachment: 'just text' }, 400, '{"attachment":["The submitted data was not a file. Check the encoding type on the form."]}'],
      [
        1,
        KABIR,
        { attachment: { data: Buffer.alloc(0), filename: 'empty.png', type: 'image/png' } },
        400,
        '{"attachment":["The submitted file is empty."]}',
      ],
      [
        1,
        KABIR,
        { attachment: { data: PNG, filename: 'a.png', type: 'image/png' }, parent_message: '999' },
        400,
        '{"parent_message":["Invalid pk \\"999\\" - object does not exist."]}',
      ],
      [
        1,
        KABIR,
        { attachment: { data: PNG, filename: 'a.png', type: 'image/png' }, parent_message: 'abc' },
        400,
        '{"parent_message":["Incorrect type. Expected pk value, received str."]}',
      ],
      [
        1,
        KABIR,
        { attachment: { data: PNG, filename: 'a.png', type: 'image/png' }, parent_message: '99999999999' },
        400,
        '{"parent_message":["Invalid pk \\"99999999999\\" - object does not exist."]}',
      ],
      [
        1,
        KABIR,
        { content: 'a\u0000b', parent_message: 'x' },
        400,
        '{"content":["Null characters are not allowed."],"attachment":["No file was submitted."],"parent_message":["Incorrect type. Expected pk value, received str."]}',
      ],
      [1, DEV, { attachment: { data: PNG, filename: 'a.png', type: 'image/png' } }, 403, '{"detail":"Not a member of this room."}'],
      [4, KABIR, { attachment: { data: PNG, filename: 'a.png', type: 'image/png' } }, 404, '{"detail":"No Room matches the given query."}'],
      [999, KABIR, { attachment: { data: PNG, filename: 'a.png', type: 'image/png' } }, 404, '{"detail":"No Room matches the given query."}'],
      [
        '99999999999999999999',
        KABIR,
        { attachment: { data: PNG, filename: 'a.png', type: 'image/png' } },
        404,
        '{"detail":"No Room matches the given query."}',
      ],
    ];
    for (const [room, token, parts, status, text] of cases) {
      const res = await upload(srv, room, token, parts);
      expect([res.status, res.text], `${room} ${JSON.stringify(Object.keys(parts))}`).to.deep.equal([status, text]);
    }
    expect(await messageCount(srv)).to.equal(before);
    expect(fake.uploads).to.have.length(0);
  });

  it('refuses a parent message from another room or an inactive room as if it did not exist (issue 13 #5)', async () => {
    const before = await messageCount(srv);
    // Meera is a member of room 1 only: 23 is in room 2, 31 in the inactive room 4. The original accepted
    // both and then showed their content and sender in room 1's history and live frame.
    for (const parent of ['23', '31']) {
      const res = await upload(srv, 1, MEERA, { attachment: { data: PNG, filename: 'a.png', type: 'image/png' }, parent_message: parent });
      expect([res.status, res.text]).to.deep.equal([400, `{"parent_message":["Invalid pk \\"${parent}\\" - object does not exist."]}`]);
    }
    expect(await messageCount(srv)).to.equal(before);
    expect(fake.uploads).to.have.length(0);
    // Unchanged where the original answered otherwise: a room check still decides for a non-member or an
    // unknown room, whatever the parent.
    const dev = await upload(srv, 1, DEV, { attachment: { data: PNG, filename: 'a.png', type: 'image/png' }, parent_message: '23' });
    expect([dev.status, dev.text]).to.deep.equal([403, '{"detail":"Not a member of this room."}']);
    const gone = await upload(srv, 999, MEERA, { attachment: { data: PNG, filename: 'a.png', type: 'image/png' }, parent_message: '23' });
    expect([gone.status, gone.text]).to.deep.equal([404, '{"detail":"No Room matches the given query."}']);
    // A parent of the same room is still taken.
    const ok = await upload(srv, 1, MEERA, { attachment: { data: PNG, filename: 'a.png', type: 'image/png' }, parent_message: '12' });
    expect(ok.status, ok.text).to.equal(201);
  });

  it("never shows another room's message as a parent: history and a Django process's reply event (issue 13 #5)", async () => {
    // A reply in room 1 to room 2's message 23, as the original (or a Django process next to csi-chat) stores it.
    const [row] = await srv.ctx.db
      .knex('Chat_message')
      .insert({
        message_type: 'text',
        content: 'leak?',
        is_deleted: false,
        is_edited: false,
        status: {},
        created_at: new Date(),
        updated_at: new Date(),
        parent_message_id: 23,
        sender_id: 4,
        room_id: 1,
        is_pinned: false,
      })
      .returning('id');
    const id = Number((row as { id: number }).id);
    const history = await fetch(`${srv.baseUrl}/api/chat/groups/1/messages/`, { headers: { Authorization: `Token ${MEERA}` } });
    const body = (await history.json()) as { results: Array<{ id: number; parent_message: unknown }> };
    expect(body.results.find((m) => m.id === id)?.parent_message).to.equal(null);
    expect(body.results.find((m) => m.id === 5)?.parent_message).to.deep.include({ id: 4 }); // same room: shown

    const meera = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${MEERA}`);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const sender = { id: 4, first_name: 'Meera', last_name: 'Nair', role: 'member', photo: null, year: '2nd', current_status: null };
      const event = {
        type: 'chat_message',
        message: 'leak?',
        attachment: null,
        sender,
        message_type: 'text',
        created_at: '2025-05-01T00:00:00+00:00',
        room: 1,
      };
      await srv.ctx.layer.groupSend('chat_1', { ...event, id, parent_message_id: 23 });
      expect((await meera.nextJson()).parent_message).to.equal(null);
      await srv.ctx.layer.groupSend('chat_1', { ...event, id: id + 1, parent_message_id: 4 });
      expect((await meera.nextJson()).parent_message).to.deep.include({ id: 4 });
    } finally {
      meera.close();
    }
  });

  it('answers a non-numeric room id with the HTML 404 of the URL resolver (int converter)', async () => {
    const res = await upload(srv, 'abc', KABIR, { attachment: { data: PNG, filename: 'a.png', type: 'image/png' } });
    expect(res.status).to.equal(404);
    expect(res.type).to.equal('text/html; charset=utf-8');
  });

  it('answers 502 without a row when the Upload API fails', async () => {
    const before = await messageCount(srv);
    fake.failNext(1, 500);
    const res = await upload(srv, 1, KABIR, { attachment: { data: PNG, filename: 'a.png', type: 'image/png' } });
    expect([res.status, res.text]).to.deep.equal([502, '{"detail":"The file could not be stored. Try again later."}']);
    expect(await messageCount(srv)).to.equal(before);
  });

  it('removes the uploaded file when the database write fails', async () => {
    const knex = srv.ctx.db.knex;
    await knex.raw(
      `CREATE OR REPLACE FUNCTION csi_test_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$ LANGUAGE plpgsql`,
    );
    await knex.raw(`CREATE TRIGGER csi_test_refuse BEFORE INSERT ON "Chat_message" FOR EACH ROW EXECUTE FUNCTION csi_test_refuse()`);
    try {
      const before = await messageCount(srv);
      const res = await upload(srv, 1, KABIR, { attachment: { data: PNG, filename: 'a.png', type: 'image/png' } });
      expect(res.status).to.equal(500);
      expect(res.type).to.equal('application/json');
      expect(await messageCount(srv)).to.equal(before);
      expect(fake.uploads).to.have.length(1);
      await until(() => (fake.destroyed.length ? true : undefined));
      expect(fake.destroyed).to.deep.equal([{ resourceType: 'image', publicId: fake.uploads[0].publicId }]);
    } finally {
      await knex.raw('DROP TRIGGER IF EXISTS csi_test_refuse ON "Chat_message"');
      await knex.raw('DROP FUNCTION IF EXISTS csi_test_refuse()');
    }
  });

  it("stores other files as raw resources (the original refused them as invalid images and 500'd)", async () => {
    const res = await upload(srv, 1, KABIR, {
      attachment: { data: fs.readFileSync(path.join(FILES, 'notes.txt')), filename: 'notes.txt', type: 'text/plain' },
    });
    expect(res.status, res.text).to.equal(201);
    const url = JSON.parse(res.text).attachment;
    expect(url).to.match(/^http:\/\/res\.cloudinary\.com\/dcbla9zbl\/raw\/upload\/v\d{10}\/[a-z0-9]{20}\.txt$/);
    const row = await srv.ctx.db.knex('Chat_message').where({ id: 32 }).first();
    expect(row.message_type).to.equal('file');
    expect(row.attachment).to.match(/^raw\/upload\/v\d{10}\/[a-z0-9]{20}\.txt$/);
  });
});

describeServer(
  'message uploads in embedded mode (local disk under /media/)',
  { timeout: 120000, mediaRoot: true, env: { MAX_UPLOAD_BYTES: String(64 * 1024) } },
  (srv, suite) => {
    before(() => {
      expect(srv.ctx.storage.kind).to.equal('local');
    });

    const filesOnDisk = () => (fs.existsSync(path.join(suite.mediaRoot, 'uploads')) ? fs.readdirSync(path.join(suite.mediaRoot, 'uploads')) : []);

    for (const [label, data, filename, type, messageType] of [
      ['PNG', PNG, 'tiny.png', 'image/png', 'image'],
      ['PDF', PDF, 'minutes.pdf', 'application/pdf', 'file'],
    ] as const) {
      it(`stores a ${label} on disk, serves it under /media/ and broadcasts it`, async () => {
        const l = await listen(srv, 1);
        try {
          const res = await upload(srv, 1, KABIR, { attachment: { data, filename, type }, content: 'on disk' });
          expect(res.status, res.text).to.equal(201);
          const body = JSON.parse(res.text);
          const url = new URL(body.attachment);
          expect(url.pathname).to.match(new RegExp(`^/media/uploads/[0-9a-f]{20}\\.${filename.split('.').pop()}$`));
          const row = await srv.ctx.db.knex('Chat_message').where({ id: 32 }).first();
          expect(row).to.include({ attachment: url.pathname.slice(1), message_type: messageType, content: 'on disk' });
          const served = await fetch(srv.baseUrl + url.pathname);
          expect(served.status).to.equal(200);
          expect(Buffer.from(await served.arrayBuffer()).equals(data)).to.equal(true);
          const ev = await until(() => l.events[0]);
          expect(ev).to.deep.include({ type: 'chat_message', attachment: body.attachment, message_type: messageType, id: 32, room: 1 });
        } finally {
          await l.stop();
        }
      });
    }

    it('serves uploads without sniffing or active content: only raster images inline (issue 13 #6)', async () => {
      const page = Buffer.from('<html><body><script>document.title = document.cookie</script></body></html>');
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
      const cases: Array<[Buffer, string, string, string | null]> = [
        [PNG, 'tiny.png', 'image/png', null],
        [page, 'page.html', 'text/html', 'attachment'],
        [svg, 'logo.svg', 'image/svg+xml', 'attachment'],
        [PDF, 'minutes.pdf', 'application/pdf', 'attachment'],
        [page, 'noext', 'text/html', 'attachment'],
      ];
      for (const [data, filename, type, disposition] of cases) {
        const res = await upload(srv, 1, KABIR, { attachment: { data, filename, type } });
        expect(res.status, res.text).to.equal(201);
        const served = await fetch(srv.baseUrl + new URL(JSON.parse(res.text).attachment).pathname);
        expect(served.status).to.equal(200);
        expect(
          [served.headers.get('x-content-type-options'), served.headers.get('content-security-policy'), served.headers.get('content-disposition')],
          filename,
        ).to.deep.equal(['nosniff', "default-src 'none'; sandbox", disposition]);
      }
    });

    it('answers 413 JSON above MAX_UPLOAD_BYTES and keeps nothing', async () => {
      const before = await messageCount(srv);
      const existing = filesOnDisk().length;
      const big = Buffer.concat([PNG, Buffer.alloc(70 * 1024)]);
      const res = await upload(srv, 1, KABIR, { attachment: { data: big, filename: 'big.png', type: 'image/png' } });
      expect(res.status).to.equal(413);
      expect(res.type).to.equal('application/json');
      expect(JSON.parse(res.text)).to.have.property('detail');
      expect(await messageCount(srv)).to.equal(before);
      expect(filesOnDisk().length).to.equal(existing);
    });

    it('removes the file from disk when the database write fails', async () => {
      const knex = srv.ctx.db.knex;
      await knex.raw(
        `CREATE OR REPLACE FUNCTION csi_test_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$ LANGUAGE plpgsql`,
      );
      await knex.raw(`CREATE TRIGGER csi_test_refuse BEFORE INSERT ON "Chat_message" FOR EACH ROW EXECUTE FUNCTION csi_test_refuse()`);
      try {
        const existing = filesOnDisk().length;
        const res = await upload(srv, 1, KABIR, { attachment: { data: PNG, filename: 'a.png', type: 'image/png' } });
        expect(res.status).to.equal(500);
        expect(filesOnDisk().length).to.equal(existing);
      } finally {
        await knex.raw('DROP TRIGGER IF EXISTS csi_test_refuse ON "Chat_message"');
        await knex.raw('DROP FUNCTION IF EXISTS csi_test_refuse()');
      }
    });

    it("answers malformed multipart with DRF's 400 parse error and keeps nothing", async () => {
      const before = await messageCount(srv);
      const res = await fetch(`${srv.baseUrl}/api/chat/groups/1/messages/upload/`, {
        method: 'POST',
        headers: { Authorization: `Token ${KABIR}`, 'Content-Type': 'multipart/form-data; boundary=XYZ' },
        body: '--XYZ\r\nContent-Disposition: form-data; name="attachment"; filename="a.png"\r\nContent-Type: image/png\r\n\r\nabc',
      });
      expect(res.status).to.equal(400);
      expect((await res.json()).detail).to.match(/^Multipart form parse error - /);
      const noBoundary = await fetch(`${srv.baseUrl}/api/chat/groups/1/messages/upload/`, {
        method: 'POST',
        headers: { Authorization: `Token ${KABIR}`, 'Content-Type': 'multipart/form-data' },
        body: 'garbage',
      });
      expect(noBoundary.status).to.equal(400);
      expect((await noBoundary.json()).detail).to.match(/^Multipart form parse error - /);
      expect(await messageCount(srv)).to.equal(before);
    });
  },
);
