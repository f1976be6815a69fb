// The production build: `npm run build` compiles src/ to dist/, and `node dist/main.js` (what render.yaml
// and the Dockerfile start) serves the seed on Postgres from any working directory (db/ is found from
// the package root), drains on SIGTERM, and refuses an unreachable database with one clear line.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, resetToSeed, sharedDatabase, userToken } from '../helpers/harness.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { AdminClient } from '../helpers/adminClient.ts';
import { killAll, spawnServer } from '../helpers/serverProcess.ts';
import { describeNeeding, postgresMissing } from '../helpers/suites.ts';

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('production build: npm run build && node dist/main.js', function () {
  this.timeout(240000);

  before(function () {
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 180000 });
    expect(build.status, `${build.stdout}\n${build.stderr}`).to.equal(0);
  });
  afterEach(killAll);

  it('compiles every module of src/ to dist/ with .js imports, and nothing else (besides the admin bundle in dist/admin-assets/)', () => {
    const built = filesUnder(path.join(ROOT, 'dist'))
      .filter((f) => f.endsWith('.js') && !f.startsWith(path.join(ROOT, 'dist', 'admin-assets') + path.sep))
      .map((f) => path.relative(path.join(ROOT, 'dist'), f));
    expect(fs.existsSync(path.join(ROOT, 'dist/admin-assets/components.bundle.js')), 'the admin bundle is built by npm run build').to.equal(true);
    const sources = filesUnder(path.join(ROOT, 'src'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.relative(path.join(ROOT, 'src'), f).replace(/\.ts$/, '.js'));
    expect(built.sort()).to.deep.equal(sources.sort());
    for (const f of built) {
      const text = fs.readFileSync(path.join(ROOT, 'dist', f), 'utf8');
      expect(/(?:from|import\()\s*["']\.{1,2}\/[^"']*\.ts["']/.test(text), `${f} still imports a .ts path`).to.equal(false);
    }
  });

  it('exits 1 with one clear line when the database is unreachable', () => {
    const run = spawnSync(process.execPath, ['dist/main.js'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', REDIS_URL: '', PORT: '0' },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(run.status).to.equal(1);
    expect(run.stderr.trim()).to.match(/^csi-chat: cannot open the database: .*ECONNREFUSED/);
  });

  describeNeeding('on Postgres', [postgresMissing], () => {
    it('serves the seed on Postgres from another working directory; SIGTERM closes sockets with 1001 and exits 0 within the grace period', async function () {
      const databaseUrl = process.env.DATABASE_URL!;
      await resetToSeed(await sharedDatabase('pg'));
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'csi-dist-'));
      try {
        const proc = spawnServer({ DATABASE_URL: databaseUrl, REDIS_URL: '', SHUTDOWN_GRACE_MS: '5000' }, 'dist', elsewhere);
        const port = await proc.listening();
        const base = `http://127.0.0.1:${port}`;
        const rooms = await fetch(`${base}/api/chat/groups/`, { headers: { Authorization: `Token ${userToken('meera.nair@akgec.ac.in')}` } });
        expect(rooms.status).to.equal(200);
        expect(((await rooms.json()) as Array<{ name: string }>).map((r) => r.name)).to.include('2nd_year');
        expect((await fetch(`${base}/healthz`)).status).to.equal(200);
        // The admin site: AdminJS wants its components' sources beside the compiled loader
        // (dist/admin/components/*.jsx) even though it serves the prebuilt bundle; without them every
        // /admin/ page answered 503 on the compiled start while the tsx start served it.
        const admin = new AdminClient(base);
        expect((await admin.get('/admin/login/')).status).to.equal(200);
        expect((await admin.login('anagh.jaiswar@akgec.ac.in', 'Anagh@4thYear')).status).to.equal(302);
        const home = await admin.get('/admin/');
        expect(home.status, home.text.slice(0, 300)).to.equal(200);
        expect((await admin.get('/admin/frontend/assets/components.bundle.js')).status).to.equal(200);
        const socket = await WsClient.connect(`ws://127.0.0.1:${port}/ws/chat/1/?token=${userToken('kabir.singh@akgec.ac.in')}`);
        const signalledAt = Date.now();
        proc.signal('SIGTERM');
        const exit = await proc.waitForExit(8000);
        expect(exit.code, proc.output()).to.equal(0);
        expect(exit.at - signalledAt).to.be.below(5000);
        await socket.take(1, 1000).catch(() => undefined);
        expect(socket.closed?.code).to.equal(1001);
      } finally {
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    });
  });
});
