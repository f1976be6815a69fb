// CLIENT_COMPAT=csi-android-2025, the app-safety mode: the three places where the 2025 Android app
// crashes on the original's answers (docs/kotlin-client-contract.md §5 C1, C3, C4), each read the way
// the app reads it (test/helpers/kotlinApp.ts) in both modes — the default crashes it, as Django does;
// the mode does not — plus the reply preview of an attachment-only message and the upload's "~null".
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { ROOT, userToken, type TestServer } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { call } from '../helpers/http.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { ChatFrame, HistoryPage, ProfileData, readAsApp } from '../helpers/kotlinApp.ts';

const PNG = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));
const KABIR = userToken('Kabir'); // 3; rooms 1 2 3
const RIYA = userToken('Riya'); // 2; rooms 1 2 3; complete profile, domain FRONTEND (2)

/** An attachment-only upload to room 1 (no `content`: the message's text is null). */
async function uploadAttachmentOnly(srv: TestServer, token: string): Promise<number> {
  const form = new FormData();
  form.append('attachment', new File([new Uint8Array(PNG)], 'tiny.png', { type: 'image/png' }));
  const res = await call(srv, 'POST', '/api/chat/groups/1/messages/upload/', token, form);
  expect(res.status, res.text).to.equal(201);
  expect(res.json.content).to.equal(null);
  const row = await srv.ctx.db.knex('Chat_message').where({ room_id: 1, content: null }).orderBy('id', 'desc').first();
  return row.id as number;
}

for (const mode of ['default', 'csi-android-2025'] as const) {
  const appSafe = mode === 'csi-android-2025';
  const env: Record<string, string> = appSafe ? { CLIENT_COMPAT: mode } : {};
  describeServer(
    `app-safety mode: ${appSafe ? 'CLIENT_COMPAT=csi-android-2025' : "off (the original's answers)"}`,
    { mediaRoot: true, env },
    (srv) => {
      const open: WsClient[] = [];
      afterEach(() => {
        for (const c of open.splice(0)) c.close();
      });
      const room1 = async (token: string, query = '') => {
        const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${token}${query}`);
        open.push(c);
        return c;
      };

      it(`C3: the upload broadcast of an attachment-only message ${appSafe ? 'parses' : 'crashes the app (message: null) and shows "~null"'}`, async () => {
        const riya = await room1(RIYA);
        await uploadAttachmentOnly(srv, KABIR);
        const frame = (await riya.next(5000)).json as Record<string, any>;
        const read = readAsApp(ChatFrame, frame);
        if (appSafe) {
          expect(read).to.deep.equal({ crashes: [], showsNull: [] });
          expect(frame.message).to.equal('');
          expect(frame.sender).to.deep.include({ name: 'Kabir', id: 3, first_name: 'Kabir', last_name: 'Singh' });
        } else {
          expect(read.crashes).to.deep.equal(['chatMessages.message: null in a non-null String']);
          expect(read.showsNull).to.deep.equal(['chatMessages.sender.name']);
          expect(frame.message).to.equal(null);
          expect(frame.sender).to.not.have.property('name');
        }
      });

      it(`a resumed socket (?after=) gets the attachment-only message ${appSafe ? 'with message ""' : 'with message null, as a live one'}`, async () => {
        const id = await uploadAttachmentOnly(srv, KABIR);
        const riya = await room1(RIYA, '&after=22'); // the newest message of room 1 before the upload
        const frame = (await riya.next(5000)).json as Record<string, any>;
        expect(frame.id).to.equal(id);
        const read = readAsApp(ChatFrame, frame);
        expect(read.crashes).to.deep.equal(appSafe ? [] : ['chatMessages.message: null in a non-null String']);
        expect(frame.sender).to.deep.include({ name: 'Kabir' }); // the socket sender shape in both modes
      });

      it(`a reply to an attachment-only message: its parent preview ${appSafe ? 'parses' : 'crashes the app (parent_message.content: null)'}`, async () => {
        const id = await uploadAttachmentOnly(srv, KABIR);
        const riya = await room1(RIYA);
        const kabir = await room1(KABIR);
        kabir.send({ message: 'about that file', parent_message_id: id });
        const frame = (await riya.next(5000)).json as Record<string, any>;
        expect(frame.parent_message.id).to.equal(id);
        const read = readAsApp(ChatFrame, frame);
        if (appSafe) {
          expect(read.crashes).to.deep.equal([]);
          expect(frame.parent_message.content).to.equal('');
        } else {
          expect(read.crashes).to.deep.equal(['chatMessages.parent_message.content: null in a non-null String']);
        }
      });

      it(`C4: the history with an attachment-only message and a reply to it ${appSafe ? 'parses' : 'crashes the app (content: null)'}`, async () => {
        const id = await uploadAttachmentOnly(srv, KABIR);
        const kabir = await room1(KABIR);
        kabir.send({ message: 'about that file', parent_message_id: id });
        await kabir.next(5000);
        for (const query of ['?page=1&page_size=2', '?limit=2']) {
          const res = await call(srv, 'GET', `/api/chat/groups/1/messages/${query}`, RIYA);
          expect(res.status, res.text).to.equal(200);
          const read = readAsApp(HistoryPage, res.json);
          const [reply, upload] = res.json.results;
          expect([reply.parent_message.id, upload.id]).to.deep.equal([id, id]);
          if (appSafe) {
            expect(read.crashes, query).to.deep.equal([]);
            expect([upload.content, reply.parent_message.content]).to.deep.equal(['', '']);
          } else {
            expect(read.crashes, query).to.deep.equal([
              'oldMessagesResponse.results[0].parent_message.content: null in a non-null String',
              'oldMessagesResponse.results[1].content: null in a non-null String',
            ]);
          }
        }
      });

      it(`C1: profile/detail/ and the profile/fill/ answer ${appSafe ? 'give the domain as {id, name}' : 'give the domain as a string, which crashes the app'}`, async () => {
        const detail = await call(srv, 'GET', '/api/user/profile/detail/', RIYA);
        // profile/fill/ takes POST only (as the original): every required field, a photo included.
        const form = new FormData();
        form.append(
          'photo',
          new File([new Uint8Array(fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png')))], 'me.png', { type: 'image/png' }),
        );
        form.append('domain', 'FRONTEND');
        form.append('bio', 'Frontend, React.');
        const fill = await call(srv, 'POST', '/api/user/profile/fill/', RIYA, form);
        for (const res of [detail, fill]) {
          expect(res.status, res.text).to.equal(200);
          const read = readAsApp(ProfileData, res.json);
          if (appSafe) {
            expect(read.crashes).to.deep.equal([]);
            expect(res.json.domain).to.deep.equal({ id: 2, name: 'FRONTEND' });
          } else {
            expect(read.crashes).to.deep.equal(['profileData.domain: string where Domain (an object) is declared']);
            expect(res.json.domain).to.equal('FRONTEND');
          }
        }
        if (appSafe) {
          // Key order and every other field as in the default mode.
          expect(Object.keys(detail.json)).to.deep.equal([
            'photo',
            'branch',
            'domain',
            'dob',
            'linkedin_url',
            'bio',
            'github_url',
            'achievements',
            'hosteller',
            'full_name',
            'year',
          ]);
          await srv.ctx.db.knex('User_user').where({ id: 2 }).update({ domain_id: null });
          expect((await call(srv, 'GET', '/api/user/profile/detail/', RIYA)).json.domain).to.equal(null);
        }
      });

      it('socket sends with text are the same bytes in both modes', async () => {
        const riya = await room1(RIYA);
        const kabir = await room1(KABIR);
        kabir.send({ message: 'hello' });
        const frame = await riya.next(5000);
        expect(frame.text).to.match(
          /^\{"message": "hello", "sender": \{"name": "Kabir", "photo": null, "id": 3, "role": "member"\}, "message_type": "text", "id": \d+, "is_self": false, "attachment": null, "created_at": "[^"]+", "room": 1, "parent_message": null\}$/,
        );
      });
    },
  );
}

describe('CLIENT_COMPAT at start-up', function () {
  this.timeout(60000);

  it('accepts csi-android-2025 and nothing else, naming the accepted values', () => {
    expect(loadConfig({}).clientCompat).to.equal(null);
    expect(loadConfig({ CLIENT_COMPAT: '' }).clientCompat).to.equal(null);
    expect(loadConfig({ CLIENT_COMPAT: 'csi-android-2025' }).clientCompat).to.equal('csi-android-2025');
    for (const bad of ['csi-android', 'CSI-ANDROID-2025', 'true', '1', 'csi-android-2025,x']) {
      expect(() => loadConfig({ CLIENT_COMPAT: bad }), bad).to.throw(
        ConfigError,
        `CLIENT_COMPAT must be one of "csi-android-2025" (or unset), got ${JSON.stringify(bad)}`,
      );
    }
  });

  it('an unknown value stops the server with one clear line', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, CLIENT_COMPAT: 'android', PORT: '0' },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(run.status).to.equal(2);
    expect(run.stderr.trim()).to.equal('csi-chat: configuration error: CLIENT_COMPAT must be one of "csi-android-2025" (or unset), got "android"');
  });
});
