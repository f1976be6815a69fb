// A/B of csi-chat builds at one fixed-rate fan-out, alternating, with the server CPU per delivered frame (robust
// to other load on a shared machine, unlike delivered frames/s) and optional CPU profiles.
//
//   node --import tsx bench/ab.ts --tree a=/path/to/checkout:postgres://…/db [--tree b=…] [--limit]
//        [--members 200] [--rate 400] [--rounds 3] [--duration 10] [--prof]
//
// Each --tree is a checkout (its own src/, node_modules) and the database loaded with the bench fixture by that
// checkout; --limit adds bench/limit/server.ts (this checkout's). Every round starts each server fresh (Redis DB of
// BENCH_REDIS flushed, bench-room messages deleted), runs bench/loadgen.ts runChat from this checkout, stops it.
// --prof writes <tree>-<round>.cpuprofile to bench/out/prof/ab/ (summarise with bench/profile-top.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { ROOT, parseFlags, sleep, num } from './common.ts';
import { resetSql } from './fixture.ts';
import { defaultSenders, fanoutRoom, runChat } from './loadgen.ts';
import { SERVER_ENV, flushRedis, REDIS, PORT0 } from './run.ts';

interface Tree {
  name: string;
  dir: string;
  db?: string;
  limit?: boolean;
}

async function start(t: Tree, port: number, profDir: string | null): Promise<{ pid: number; stop: () => Promise<void> }> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...SERVER_ENV,
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  if (t.db) env.DATABASE_URL = t.db;
  if (!t.limit) env.REDIS_URL = REDIS;
  const args = [
    ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
    '--import',
    'tsx',
    t.limit ? 'bench/limit/server.ts' : 'src/main.ts',
    ...(t.limit ? ['--port', String(port)] : []),
  ];
  const child = spawn(process.execPath, args, { cwd: t.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const err: string[] = [];
  child.stderr!.on('data', (d: Buffer) => err.push(d.toString()));
  let exited = false;
  const exitP = new Promise<void>((r) => child.on('exit', () => ((exited = true), r())));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${t.name} exited: ${err.join('').slice(-1500)}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/warmup/`);
      if (r.status === 200 || t.limit) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${t.name} did not start`);
    await sleep(200);
  }
  return {
    pid: child.pid!,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const k = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitP;
      clearTimeout(k);
    },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const trees: Tree[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--tree') {
      const [name, rest] = argv[i + 1].split('=');
      const c = rest.indexOf(':');
      trees.push({ name, dir: rest.slice(0, c), db: rest.slice(c + 1) });
      argv.splice(i, 2);
      i--;
    }
  }
  const { flags } = parseFlags(argv);
  if (flags.limit === 'true') trees.push({ name: 'limit', dir: ROOT, limit: true });
  const members = num(flags, 'members', 200);
  const rate = num(flags, 'rate', 400);
  const rounds = num(flags, 'rounds', 3);
  const durationS = num(flags, 'duration', 10);
  const prof = flags.prof === 'true';
  const port = PORT0;
  for (let round = 1; round <= rounds; round++) {
    for (const t of trees) {
      if (t.db) {
        const c = new pg.Client({ connectionString: t.db });
        await c.connect();
        await c.query(resetSql());
        await c.end();
      }
      if (!t.limit) await flushRedis();
      const profDir = prof ? path.join(ROOT, 'bench', 'out', 'prof', 'ab', `${t.name}-${members}-${rate}-${round}`) : null;
      if (profDir) fs.mkdirSync(profDir, { recursive: true });
      const s = await start(t, port, profDir);
      try {
        const r = await runChat({
          urls: [`ws://127.0.0.1:${port}`],
          rooms: [fanoutRoom(members)],
          ratePerRoom: rate,
          sendersPerRoom: defaultSenders(members, rate),
          durationS,
          warmupS: 2,
          drainS: 3,
          pids: [s.pid],
          label: `ab ${t.name} N=${members}`,
        });
        const us = r.serverCpuPct !== null && r.received ? ((r.serverCpuPct / 100) * durationS * 1e6) / r.received : NaN;
        console.log(`${r.line} cpu_us/frame=${us.toFixed(2)} round=${round} load5=${os.loadavg()[1].toFixed(2)}`);
      } finally {
        await s.stop();
      }
      await sleep(500);
    }
  }
}

void main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.message);
    process.exit(1);
  },
);
