// Sessions across the switch, checked by Django itself (Debian's python3-django, test/interop/
// django_sessions.py): Django reads the sessions csi-chat writes and csi-chat accepts the ones Django
// writes, with the same SECRET_KEY; the recorded Django 5.1 session (docs/django-admin-notes.md) decodes
// in this Django too, so the format is the same. CSRF tokens csi-chat masks unmask in Django.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { describeNeeding } from '../helpers/suites.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { AdminClient } from '../helpers/adminClient.ts';
import { decodeSession, encodeSession, loginPayload, sessionAuthHash } from '../../src/auth/sessions.ts';
import { maskSecret, newCsrfSecret } from '../../src/auth/csrf.ts';
import { INTEROP_PYTHON } from './peer.ts';
import { VECTOR } from '../helpers/sessionVector.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function djangoUnavailable(): string | null {
  const r = spawnSync(INTEROP_PYTHON, ['-c', 'import django, django.contrib.sessions; print(django.__version__)'], {
    encoding: 'utf8',
    timeout: 20000,
  });
  if (r.error) return `${INTEROP_PYTHON} cannot run (${r.error.message}); run .ci/install-interop.sh (apt: python3-django)`;
  if (r.status !== 0)
    return `Django is not installed for ${INTEROP_PYTHON}: ${r.stderr.trim().split('\n').pop()}; run .ci/install-interop.sh (apt: python3-django)`;
  return null;
}

class DjangoSessions {
  private readonly lines: Array<Record<string, unknown>> = [];
  private waiters: Array<() => void> = [];
  private constructor(private readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      this.lines.push(JSON.parse(l) as Record<string, unknown>);
      const w = this.waiters;
      this.waiters = [];
      w.forEach((f) => f());
    });
  }

  static async start(secret: string): Promise<DjangoSessions> {
    const child = spawn(INTEROP_PYTHON, [path.join(HERE, 'django_sessions.py')], {
      env: { ...process.env, INTEROP_SECRET_KEY: secret, PYTHONPATH: '' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const d = new DjangoSessions(child);
    await d.next();
    return d;
  }

  private async next(): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 15000;
    while (!this.lines.length) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error('Django session peer did not answer');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.lines.shift()!;
  }

  async ask(cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.child.stdin!.write(JSON.stringify(cmd) + '\n');
    const reply = await this.next();
    if (reply.error) throw new Error(`Django: ${String(reply.error)}`);
    return reply;
  }

  stop(): void {
    this.child.stdin!.end('{"op":"quit"}\n');
  }
}

describeNeeding("interop: Django reads csi-chat's sessions and the other way round (same SECRET_KEY)", [djangoUnavailable], function () {
  this.timeout(120000);
  let django: DjangoSessions;
  let srv: TestServer;

  before(async function () {
    django = await DjangoSessions.start(VECTOR.secret);
    srv = await startServer('pglite', { env: { SECRET_KEY: VECTOR.secret } });
  });
  after(async () => {
    django?.stop();
    await srv?.close();
  });

  it('Django decodes the recorded Django 5.1 session: the signing format did not change', async () => {
    const r = await django.ask({ op: 'decode', data: VECTOR.sessionData });
    expect(r.session).to.deep.equal(VECTOR.payload);
  });

  it('Django decodes a session csi-chat encodes, and csi-chat one that Django encodes', async () => {
    const payload = loginPayload({ id: 1, password: VECTOR.passwordHash }, VECTOR.secret);
    expect((await django.ask({ op: 'decode', data: encodeSession(payload, VECTOR.secret) })).session).to.deep.equal(payload);
    const big = { ...payload, note: 'é ✓ '.repeat(50) };
    expect((await django.ask({ op: 'decode', data: encodeSession(big, VECTOR.secret) })).session).to.deep.equal(big);
    const fromDjango = (await django.ask({ op: 'encode', session: payload })).data as string;
    expect(JSON.stringify(decodeSession(fromDjango, VECTOR.secret))).to.equal(JSON.stringify(payload));
    // Signed under another key: Django sees an empty session.
    expect((await django.ask({ op: 'decode', data: encodeSession(payload, 'another-key') })).session).to.deep.equal({});
    expect((await django.ask({ op: 'auth_hash', password: VECTOR.passwordHash })).hash).to.equal(sessionAuthHash(VECTOR.passwordHash, VECTOR.secret));
  });

  it("a Django-written session row logs in on csi-chat (admin and REST API), and csi-chat's log-in row decodes in Django", async () => {
    const user = await srv.ctx.db.knex('User_user').where({ id: 1 }).first();
    const data = (await django.ask({ op: 'encode', session: loginPayload(user, VECTOR.secret) })).data as string;
    await srv.ctx.db
      .knex('django_session')
      .insert({ session_key: 'djangowrittensession000000000001', session_data: data, expire_date: new Date(Date.now() + 3600_000).toISOString() });
    const api = await fetch(`${srv.baseUrl}/api/chat/groups/`, { headers: { Cookie: 'sessionid=djangowrittensession000000000001' } });
    expect(api.status).to.equal(200);
    const page = await fetch(`${srv.baseUrl}/admin/`, { headers: { Cookie: 'sessionid=djangowrittensession000000000001' }, redirect: 'manual' });
    expect(page.status).to.equal(200);

    const c = new AdminClient(srv.baseUrl);
    expect((await c.login('anagh.jaiswar@akgec.ac.in', 'Anagh@4thYear')).status).to.equal(302);
    const row = await srv.ctx.db
      .knex('django_session')
      .where({ session_key: c.cookies.get('sessionid') })
      .first();
    expect((await django.ask({ op: 'decode', data: row.session_data })).session).to.deep.equal({
      _auth_user_id: '1',
      _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
      _auth_user_hash: (await django.ask({ op: 'auth_hash', password: user.password })).hash,
    });
  });

  it('CSRF tokens csi-chat masks unmask to the cookie secret in Django', async () => {
    for (let i = 0; i < 5; i++) {
      const secret = newCsrfSecret();
      expect((await django.ask({ op: 'unmask', token: maskSecret(secret) })).secret).to.equal(secret);
    }
  });
});
