// src/notification/push.ts: the firebase-admin sender builds one multicast per 500 Android tokens of
// the users, removes the tokens FCM reports dead, and never throws; the no-op sender; configuration.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createLogger } from '../../src/log.ts';
import {
  createPushSender,
  FcmPushSender,
  NoopPushSender,
  readServiceAccount,
  type MessagingLike,
  type MulticastRequest,
  type MulticastResult,
} from '../../src/notification/push.ts';
import { backends, resetToSeed, sharedDatabase, startServer } from '../helpers/harness.ts';

const log = createLogger('silent');

class FakeMessaging implements MessagingLike {
  requests: MulticastRequest[] = [];
  constructor(private readonly answer: (req: MulticastRequest) => MulticastResult | Promise<MulticastResult>) {}
  async sendEachForMulticast(message: MulticastRequest): Promise<MulticastResult> {
    this.requests.push(JSON.parse(JSON.stringify(message)) as MulticastRequest);
    return this.answer(message);
  }
}

const allOk = (req: MulticastRequest): MulticastResult => ({
  successCount: req.tokens.length,
  failureCount: 0,
  responses: req.tokens.map((_, i) => ({ success: true, messageId: `m${i}` })),
});

for (const backend of backends()) {
  describe(`push sender [${backend}]`, function () {
    this.timeout(60000);

    beforeEach(async () => resetToSeed(await sharedDatabase(backend)));

    it('sends one multicast with the Android tokens of the users, title/body/data as given', async () => {
      const db = await sharedDatabase(backend);
      const fake = new FakeMessaging(allOk);
      const sender = new FcmPushSender(db.knex, fake, log);
      await sender.send([4, 3, 4, 99], {
        title: 'New Task Assigned',
        body: 'You have been assigned a new task: X',
        data: { click_action: 'open_task_overview?task_id=3' },
      });
      expect(fake.requests).to.deep.equal([
        {
          tokens: ['fcm-oracle-token-meera-0001', 'fcm-oracle-token-kabir-0001'],
          notification: { title: 'New Task Assigned', body: 'You have been assigned a new task: X' },
          data: { click_action: 'open_task_overview?task_id=3' },
        },
      ]);
    });

    it('omits data when none is given, skips iOS tokens and users without tokens', async () => {
      const db = await sharedDatabase(backend);
      await db
        .knex('Notification_devicetoken')
        .insert({ device_token: 'ios-tok', device_type: 'ios', created_at: new Date(), updated_at: new Date(), user_id: 6 });
      const fake = new FakeMessaging(allOk);
      const sender = new FcmPushSender(db.knex, fake, log);
      await sender.send([6, 7], { title: 't', body: 'b' });
      expect(fake.requests).to.deep.equal([]);
      await sender.send([3], { title: 't', body: 'b' });
      expect(fake.requests).to.deep.equal([{ tokens: ['fcm-oracle-token-kabir-0001'], notification: { title: 't', body: 'b' } }]);
      await sender.send([], { title: 't', body: 'b' });
      expect(fake.requests).to.have.length(1);
    });

    it('splits more than 500 tokens into batches and removes unregistered/invalid tokens only', async () => {
      const db = await sharedDatabase(backend);
      const now = new Date();
      const rows = Array.from({ length: 502 }, (_, i) => ({
        device_token: `tok-${String(i).padStart(4, '0')}`,
        device_type: 'android',
        created_at: now,
        updated_at: now,
        user_id: 6,
      }));
      await db.knex('Notification_devicetoken').insert(rows);
      const fake = new FakeMessaging((req) => ({
        successCount: 0,
        failureCount: req.tokens.length,
        responses: req.tokens.map((t) =>
          t === 'tok-0001'
            ? { success: false, error: { code: 'messaging/registration-token-not-registered', message: 'gone' } }
            : t === 'tok-0501'
              ? { success: false, error: { code: 'messaging/invalid-registration-token', message: 'bad' } }
              : t === 'tok-0002'
                ? { success: false, error: { code: 'messaging/internal-error', message: 'try later' } }
                : { success: true, messageId: 'x' },
        ),
      }));
      await new FcmPushSender(db.knex, fake, log).send([6], { title: 't', body: 'b' });
      expect(fake.requests.map((r) => r.tokens.length)).to.deep.equal([500, 2]);
      expect(fake.requests[1]!.tokens).to.deep.equal(['tok-0500', 'tok-0501']);
      const left: Array<{ device_token: string }> = await db.knex('Notification_devicetoken').select('device_token').where('user_id', 6);
      const names = left.map((r) => r.device_token);
      expect(names).to.have.length(500);
      expect(names).to.not.include('tok-0001');
      expect(names).to.not.include('tok-0501');
      expect(names).to.include('tok-0002');
      // Other users' tokens untouched.
      expect(Number((await db.knex('Notification_devicetoken').whereIn('user_id', [3, 4]).count({ n: '*' }).first())!.n)).to.equal(2);
    });

    it('gives up on a multicast FCM does not answer in time (the caller is not held)', async () => {
      const db = await sharedDatabase(backend);
      const hanging = new FakeMessaging(() => new Promise<MulticastResult>(() => undefined));
      const started = Date.now();
      await new FcmPushSender(db.knex, hanging, log, 200).send([3], { title: 't', body: 'b' });
      expect(Date.now() - started).to.be.lessThan(2000);
      expect(hanging.requests).to.have.length(1);
      expect(Number((await db.knex('Notification_devicetoken').count({ n: '*' }).first())!.n)).to.equal(2);
    });

    it('never rejects when FCM or the database fails', async () => {
      const db = await sharedDatabase(backend);
      const failing = new FakeMessaging(() => {
        throw new Error('network down');
      });
      await new FcmPushSender(db.knex, failing, log).send([3], { title: 't', body: 'b' });
      expect(failing.requests).to.have.length(1);
      const brokenKnex = (() => {
        throw new Error('db down');
      }) as unknown as typeof db.knex;
      await new FcmPushSender(brokenKnex, failing, log).send([3], { title: 't', body: 'b' });
    });
  });
}

describe('push configuration', () => {
  it('no credentials -> the no-op sender, which resolves', async () => {
    const db = await sharedDatabase('pglite');
    const sender = await createPushSender(null, db.knex, log);
    expect(sender).to.be.instanceOf(NoopPushSender);
    await sender.send([1], { title: 't', body: 'b' });
  });

  it('unusable credentials -> push disabled, the server still starts', async () => {
    const db = await sharedDatabase('pglite');
    expect(await createPushSender('{not json', db.knex, log)).to.be.instanceOf(NoopPushSender);
    expect(await createPushSender('/nonexistent/sa.json', db.knex, log)).to.be.instanceOf(NoopPushSender);
    const tmp = path.join(os.tmpdir(), `sa-${process.pid}.json`);
    fs.writeFileSync(tmp, '[1]');
    try {
      expect(() => readServiceAccount(tmp)).to.throw('not a JSON object');
      expect(await createPushSender(tmp, db.knex, log)).to.be.instanceOf(NoopPushSender);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    expect(readServiceAccount(' {"project_id":"p"}')).to.deep.equal({ project_id: 'p' });
  });

  it('AppContext.push is injectable and defaults to the no-op sender', async () => {
    const srv = await startServer('pglite');
    try {
      expect(srv.ctx.push).to.be.instanceOf(NoopPushSender);
    } finally {
      await srv.close();
    }
    const sent: number[][] = [];
    const srv2 = await startServer('pglite', { seed: false, build: { push: { send: async (ids) => void sent.push(ids) } } });
    try {
      await srv2.ctx.push.send([1, 2], { title: 't', body: 'b' });
      expect(sent).to.deep.equal([[1, 2]]);
    } finally {
      await srv2.close();
    }
  });
});

describe('push with firebase-admin', () => {
  it('initialises from a service-account JSON (inline or path) and maps sendEachForMulticast results, removing dead tokens', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const account = {
      type: 'service_account',
      project_id: 'csi-test',
      private_key_id: 'k1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: 'push@csi-test.iam.gserviceaccount.com',
      client_id: '1',
    };
    const db = await sharedDatabase('pglite');
    await resetToSeed(db);
    const sender = await createPushSender(JSON.stringify(account), db.knex, log);
    expect(sender).to.be.instanceOf(FcmPushSender);
    const tmp = path.join(os.tmpdir(), `sa-ok-${process.pid}.json`);
    fs.writeFileSync(tmp, JSON.stringify(account));
    try {
      expect(await createPushSender(tmp, db.knex, log)).to.be.instanceOf(FcmPushSender);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    // Stub the SDK's network call on the app's Messaging instance (no Google endpoints in tests).
    const { getApp } = await import('firebase-admin/app');
    const { getMessaging } = await import('firebase-admin/messaging');
    const messaging = getMessaging(getApp('csi-chat'));
    const seen: unknown[] = [];
    const original = messaging.sendEachForMulticast.bind(messaging);
    messaging.sendEachForMulticast = (async (message: unknown) => {
      seen.push(message);
      return {
        successCount: 1,
        failureCount: 1,
        responses: [
          { success: false, error: Object.assign(new Error('gone'), { code: 'messaging/registration-token-not-registered' }) },
          { success: true, messageId: 'projects/csi-test/messages/1' },
        ],
      };
    }) as typeof messaging.sendEachForMulticast;
    try {
      await sender.send([4, 3], { title: 'New Task Assigned', body: 'b', data: { click_action: 'open_task_overview?task_id=1' } });
    } finally {
      messaging.sendEachForMulticast = original;
    }
    expect(seen).to.deep.equal([
      {
        tokens: ['fcm-oracle-token-meera-0001', 'fcm-oracle-token-kabir-0001'],
        notification: { title: 'New Task Assigned', body: 'b' },
        data: { click_action: 'open_task_overview?task_id=1' },
      },
    ]);
    const left = await db.knex('Notification_devicetoken').orderBy('id').select('device_token');
    expect(left).to.deep.equal([{ device_token: 'fcm-oracle-token-kabir-0001' }]);
  });
});
