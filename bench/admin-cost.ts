// What the admin costs (issue #14): `node --import tsx bench/admin-cost.ts [rootDir…]` starts `npm start`'s
// entry point (embedded PGlite, fresh DATA_DIR, demo data) a few times per root and reports the time to
// the first answered request, the idle RSS, the first /admin/login/ (which loads AdminJS), and the RSS
// once the admin is loaded and one logged-in page rendered. Pass the root of a checkout without the
// admin as a second argument to compare (runs alternate between the roots); ADMIN_COST_DATABASE_URL=postgres://…
// measures on Postgres. The machine's load average is printed with the figures.
// Loopback only; each run stops itself.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const RUNS = Number(process.env.ADMIN_COST_RUNS ?? 3);

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function untilUp(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error('server did not start');
      await sleep(20);
    }
  }
}

async function once(root: string, port: number) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'csi-admin-cost-'));
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    // ADMIN_COST_DATABASE_URL: measure on Postgres (the demo data is loaded once), without PGlite's
    // hundreds of MiB of WASM heap in the RSS.
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      REDIS_URL: '',
      DATABASE_URL: process.env.ADMIN_COST_DATABASE_URL ?? '',
      LOAD_DEMO_DATA: 'true',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await untilUp(`${base}/api/`, Date.now() + 120_000);
    const startMs = Date.now() - t0;
    await sleep(3000);
    const idle = rssMiB(child.pid!);
    const a0 = Date.now();
    const login = await fetch(`${base}/admin/login/`);
    const html = await login.text();
    const firstAdminMs = Date.now() - a0;
    let loaded: number | null = null;
    const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html)?.[1];
    if (login.status === 200 && token) {
      const cookie = login.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const demo = JSON.parse(fs.readFileSync(path.join(root, 'db/demo-users.json'), 'utf8')) as {
        users: Array<{ email: string; password: string }>;
      };
      const users = await Promise.all(demo.users.map((u) => u));
      for (const u of users) {
        const r = await fetch(`${base}/admin/login/`, {
          method: 'POST',
          redirect: 'manual',
          headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrfmiddlewaretoken: token, username: u.email, password: u.password, next: '/admin/' }).toString(),
        });
        if (r.status !== 302) continue;
        const session = r.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; ');
        await (await fetch(`${base}/admin/`, { headers: { Cookie: session } })).text();
        await (await fetch(`${base}/admin/api/resources/Chat.room/actions/list`, { headers: { Cookie: session } })).text();
        break;
      }
      await sleep(2000);
      loaded = rssMiB(child.pid!);
    }
    return { startMs, idle, firstAdminMs, adminStatus: login.status, loaded };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const roots = (process.argv.slice(2).length ? process.argv.slice(2) : [process.cwd()]).map((r) => path.resolve(r));
  let port = 18600;
  // Runs alternate between the roots, so a change in the machine's load falls on both alike.
  const runs = new Map(roots.map((r) => [r, [] as Array<Awaited<ReturnType<typeof once>>>]));
  const loadBefore = os.loadavg();
  for (let i = 0; i < RUNS; i++) for (const root of roots) runs.get(root)!.push(await once(root, port++));
  const loadAfter = os.loadavg();
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const root of roots) {
    const rs = runs.get(root)!;
    console.log(
      `${root}: start ${med(rs.map((r) => r.startMs))} ms (runs ${rs.map((r) => r.startMs).join(', ')}), idle RSS ${med(rs.map((r) => r.idle)).toFixed(1)} MiB, ` +
        `first /admin/login/ ${rs[0].adminStatus} in ${med(rs.map((r) => r.firstAdminMs))} ms, ` +
        `RSS with the admin loaded ${rs[0].loaded === null ? 'n/a' : med(rs.map((r) => r.loaded!)).toFixed(1) + ' MiB'} (median of ${RUNS})`,
    );
  }
  const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`load average (1/5/15 min) before ${fmt(loadBefore)}, after ${fmt(loadAfter)}; ${os.cpus().length} cores`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
