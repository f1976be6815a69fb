// csi-chat against the limit reference (bench/limit/server.ts), in one run, by the same load generator
// (bench/loadgen.ts): every scenario prints csi-chat's figure, the limit's and their ratio.
//
//   npm run bench:limit                 smoke sizes (seconds; also part of `npm run bench`)
//   npm run bench:limit -- --full       full sizes; appends the run (figures, commit, machine state) to bench/results.md
//   … [--only idle,storm,sweep,cpu,redis] [--skip-setup] [--prof]   (--prof: csi-chat under --cpu-prof → bench/out/prof/limit-*)
//
// Scenarios (both servers fresh for each, as separate child processes; Postgres + Redis for csi-chat):
//   idle   N = 3,000 and 10,000 sockets of distinct users, 200 handshakes in flight: KiB of RSS per socket
//          (VmRSS delta / N after a hold) and connects/s
//   storm  reconnect storm: N = 1,000 / 5,000 / 10,000 sockets opened at once (1,000 handshakes in flight) on a
//          fresh process: seconds until every one is back (authenticated, in its room's group), and the rate
//   sweep  delivered frames/s at the highest rate with p99 < 250 ms and every frame delivered, N = 50 and 200
//   cpu    server CPU-µs per delivered frame at a fixed offered load (utime+stime from /proc/<pid>/stat)
//   redis  csi-chat's Redis commands per message and per connect, counted with MONITOR (this DB index only)
//
// Environment as bench/run.ts: BENCH_PG, BENCH_REDIS (default redis://127.0.0.1:6379/9; its DB is flushed),
// BENCH_PORT (csi-chat; the limit server listens on BENCH_PORT + 50), BENCH_DB (default csi_bench_limit,
// smoke csi_bench_smoke).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execSync } from 'node:child_process';
import { ROOT, cpuSeconds, parseFlags, sleep, startServer, type ServerProc } from '../common.ts';
import { defaultSenders, fanoutRoom, runChat, runIdle, sweep, type ChatRunResult } from '../loadgen.ts';
import { PORT0, REDIS, SERVER_ENV, dbUrl, flushRedis, resetMessages, setupDatabase, type Mode } from '../run.ts';

export type LimitSize = 'smoke' | 'full';

interface LimitParams {
  idle: number[];
  idleConcurrency: number;
  storm: number[];
  stormConcurrency: number;
  holdS: number;
  sweep: Array<{ members: number; rates: number[] }>;
  sweepDurationS: number;
  cpu: Array<{ members: number; rate: number }>;
  cpuDurationS: number;
  redis: { members: number; rate: number; durationS: number; connects: number };
}

export const LIMIT_PARAMS: Record<LimitSize, LimitParams> = {
  smoke: {
    idle: [300],
    idleConcurrency: 100,
    storm: [500],
    stormConcurrency: 500,
    holdS: 1,
    sweep: [
      { members: 50, rates: [50] },
      { members: 200, rates: [20] },
    ],
    sweepDurationS: 2,
    cpu: [{ members: 50, rate: 50 }],
    cpuDurationS: 2,
    redis: { members: 50, rate: 10, durationS: 2, connects: 100 },
  },
  full: {
    idle: [3000, 10000],
    idleConcurrency: 200,
    storm: [1000, 5000, 10000],
    stormConcurrency: 1000,
    holdS: 8,
    sweep: [
      { members: 50, rates: [400, 800, 1200, 1600, 2000, 2500, 3000, 4000] },
      { members: 200, rates: [200, 400, 600, 800, 1000, 1200, 1500] },
    ],
    sweepDurationS: 8,
    cpu: [
      { members: 50, rate: 400 },
      { members: 200, rate: 200 },
    ],
    cpuDurationS: 10,
    redis: { members: 50, rate: 50, durationS: 5, connects: 1000 },
  },
};

const LIMIT_PORT = PORT0 + 50;

interface Row {
  scenario: string;
  unit: string;
  csi: number;
  limit: number;
  /** csi / limit; for "lower is better" figures the ratio is still csi / limit. */
  better: 'higher' | 'lower';
  note?: string;
}

const fmt = (n: number) => (!Number.isFinite(n) ? 'n/a' : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));
const ratio = (r: Row) => (r.limit > 0 && Number.isFinite(r.csi) ? r.csi / r.limit : NaN);

export function rowLine(r: Row): string {
  return `limit ${r.scenario}: csi-chat ${fmt(r.csi)} ${r.unit} | limit ${fmt(r.limit)} ${r.unit} | ratio ${fmt(ratio(r))}× (${r.better} is better)${r.note ? ` — ${r.note}` : ''}`;
}

async function startCsi(mode: Mode, tag: string, prof: boolean): Promise<ServerProc> {
  await flushRedis();
  const profDir = path.join(ROOT, 'bench', 'out', 'prof', `limit-${tag}`);
  if (prof) fs.mkdirSync(profDir, { recursive: true });
  return startServer({
    port: PORT0,
    databaseUrl: dbUrl(mode.db),
    redisUrl: REDIS,
    extraEnv: SERVER_ENV,
    nodeArgs: prof ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  });
}

const startLimit = () => startServer({ port: LIMIT_PORT, entry: 'bench/limit/server.ts', args: ['--port', String(LIMIT_PORT)] });

async function both<T>(
  mode: Mode,
  tag: string,
  prof: boolean,
  fn: (s: ServerProc, which: 'csi' | 'limit') => Promise<T>,
): Promise<{ csi: T; limit: T }> {
  const run = async (which: 'csi' | 'limit') => {
    const s = which === 'csi' ? await startCsi(mode, tag, prof) : await startLimit();
    try {
      return await fn(s, which);
    } finally {
      await s.stop();
    }
  };
  const csi = await run('csi');
  await sleep(500);
  const limit = await run('limit');
  return { csi, limit };
}

const wsOf = (s: ServerProc) => `ws://127.0.0.1:${s.port}`;

/** CPU-µs of the server per frame delivered in the measured window. */
const cpuPerFrame = (r: ChatRunResult, durationS: number) =>
  r.serverCpuPct !== null && r.received ? ((r.serverCpuPct / 100) * durationS * 1e6) / r.received : NaN;

/** Redis's own CPU seconds (INFO cpu: main thread user + sys), server-wide. */
async function redisCpu(client: { info(section: string): Promise<string> }): Promise<number> {
  const info = await client.info('cpu');
  const v = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? NaN);
  return v('used_cpu_user') + v('used_cpu_sys');
}

async function countRedis<T>(fn: () => Promise<T>): Promise<{ result: T; sent: Map<string, number>; inScripts: Map<string, number>; cpuS: number }> {
  const { Redis } = await import('ioredis');
  const db = Number(new URL(REDIS).pathname.slice(1) || '0');
  const client = new Redis(REDIS, { lazyConnect: true });
  await client.connect();
  const cpu0 = await redisCpu(client);
  const monitor = await client.monitor();
  const sent = new Map<string, number>();
  const inScripts = new Map<string, number>();
  monitor.on('monitor', (_time: string, args: string[], source: string, database: string) => {
    if (Number(database) !== db) return;
    const name = String(args[0]).toUpperCase();
    const m = source === 'lua' ? inScripts : sent;
    m.set(name, (m.get(name) ?? 0) + 1);
  });
  try {
    const result = await fn();
    await sleep(300);
    // MONITOR itself costs Redis CPU (it formats every command for this client): an upper bound.
    return { result, sent, inScripts, cpuS: (await redisCpu(client)) - cpu0 };
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const listing = (m: Map<string, number>, per: number) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${(v / per).toFixed(2)}`)
    .join(', ');

export interface LimitOutcome {
  ok: boolean;
  rows: Row[];
  lines: string[];
}

export async function runLimit(size: LimitSize, opts: { db: string; skipSetup: boolean; only?: string[]; prof?: boolean }): Promise<LimitOutcome> {
  const p = LIMIT_PARAMS[size];
  const mode: Mode = { embedded: false, db: opts.db, prof: false };
  const prof = opts.prof ?? false;
  const rows: Row[] = [];
  const lines: string[] = [];
  let ok = true;
  const out = (s: string) => {
    lines.push(s);
    console.log(s);
  };
  const add = (r: Row) => {
    rows.push(r);
    out(rowLine(r));
  };
  const want = (s: string) => !opts.only || opts.only.includes(s);
  if (!opts.skipSetup) {
    const t = Date.now();
    await setupDatabase(mode, 10000, 50); // REST rooms small: no REST scenario here
    out(`[limit] fixture loaded into ${mode.db} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  if (want('idle')) {
    for (const n of p.idle) {
      const r = await both(mode, `idle-${n}`, prof, (s) =>
        runIdle({ url: wsOf(s), conns: n, pid: s.pid, holdS: p.holdS, concurrency: p.idleConcurrency }),
      );
      out(`[csi-chat] ${r.csi.line}`);
      out(`[limit]    ${r.limit.line}`);
      if (r.csi.stillOpen !== n || r.limit.stillOpen !== n) ok = false;
      add({ scenario: `idle memory per socket, N=${n}`, unit: 'KiB', csi: r.csi.perConnKiB, limit: r.limit.perConnKiB, better: 'lower' });
      add({
        scenario: `connect rate, N=${n} (${p.idleConcurrency} in flight)`,
        unit: '/s',
        csi: r.csi.connectRate,
        limit: r.limit.connectRate,
        better: 'higher',
      });
    }
  }
  if (want('storm')) {
    for (const n of p.storm) {
      const conc = Math.min(n, p.stormConcurrency);
      const r = await both(mode, `storm-${n}`, prof, (s) => runIdle({ url: wsOf(s), conns: n, pid: s.pid, holdS: 0, concurrency: conc }));
      out(`[csi-chat] storm ${r.csi.line}`);
      out(`[limit]    storm ${r.limit.line}`);
      if (r.csi.connected !== n || r.limit.connected !== n) ok = false;
      add({
        scenario: `reconnect storm N=${n}, all back in`,
        unit: 's',
        csi: r.csi.wallS,
        limit: r.limit.wallS,
        better: 'lower',
        note: `${fmt(r.csi.connectRate)} vs ${fmt(r.limit.connectRate)} connects/s = ${fmt(r.csi.connectRate / r.limit.connectRate)}× (original ~26/s)`,
      });
    }
  }
  if (want('sweep')) {
    for (const sw of p.sweep) {
      const r = await both(mode, `sweep-${sw.members}`, prof, async (s, which) => {
        const res = await sweep(
          { urls: [wsOf(s)], durationS: p.sweepDurationS, warmupS: 1, drainS: 3, pids: [s.pid], rooms: [fanoutRoom(sw.members)] },
          sw.members,
          sw.rates,
          (l) => out(`[${which === 'csi' ? 'csi-chat' : 'limit'}] ${l}`),
          which === 'csi' ? () => resetMessages(mode) : undefined,
        );
        out(`[${which === 'csi' ? 'csi-chat' : 'limit'}] ${res.line}`);
        const last = res.runs[res.runs.length - 1];
        return { frames: res.best ? res.best.deliveredPerS : 0, capped: !!last && res.best === last };
      });
      if (!r.csi.frames) ok = false;
      add({
        scenario: `fan-out N=${sw.members}, frames/s at p99<250ms`,
        unit: 'frames/s',
        csi: r.csi.frames,
        limit: r.limit.frames,
        better: 'higher',
        note:
          [r.csi.capped ? 'csi-chat passed the highest step' : '', r.limit.capped ? 'limit passed the highest step' : '']
            .filter(Boolean)
            .join('; ') || undefined,
      });
    }
  }
  if (want('cpu')) {
    for (const c of p.cpu) {
      const r = await both(mode, `cpu-${c.members}`, prof, async (s, which) => {
        if (which === 'csi') await resetMessages(mode);
        const res = await runChat({
          urls: [wsOf(s)],
          rooms: [fanoutRoom(c.members)],
          ratePerRoom: c.rate,
          sendersPerRoom: defaultSenders(c.members, c.rate),
          durationS: p.cpuDurationS,
          warmupS: 1,
          drainS: 3,
          pids: [s.pid],
          label: `cpu N=${c.members}`,
        });
        out(`[${which === 'csi' ? 'csi-chat' : 'limit'}] ${res.line}`);
        return res;
      });
      if (r.csi.ratio < 0.9999) ok = false;
      add({
        scenario: `CPU per delivered frame, N=${c.members} at ${c.rate} msg/s (${c.rate * c.members} frames/s offered)`,
        unit: 'µs',
        csi: cpuPerFrame(r.csi, p.cpuDurationS),
        limit: cpuPerFrame(r.limit, p.cpuDurationS),
        better: 'lower',
        note: `delivered ${r.csi.ratio.toFixed(3)} / ${r.limit.ratio.toFixed(3)}, p99 ${fmt(r.csi.p99)} / ${fmt(r.limit.p99)} ms`,
      });
    }
  }
  if (want('redis')) {
    const rc = p.redis;
    const s = await startCsi(mode, 'redis', false);
    try {
      const conn = await countRedis(() => runIdle({ url: wsOf(s), conns: rc.connects, pid: s.pid, holdS: 0, concurrency: 200 }));
      out(
        `[csi-chat] redis per connect+close (${rc.connects} sockets): ${(total(conn.sent) / rc.connects).toFixed(2)} commands sent (${listing(conn.sent, rc.connects)}); ` +
          `${(total(conn.inScripts) / rc.connects).toFixed(2)} run inside scripts (${listing(conn.inScripts, rc.connects)}); ` +
          `Redis CPU ${((conn.cpuS * 1e6) / rc.connects).toFixed(0)} µs per connect+close (server-wide, MONITOR included: an upper bound)`,
      );
      await resetMessages(mode);
      const msg = await countRedis(() =>
        runChat({
          urls: [wsOf(s)],
          rooms: [fanoutRoom(rc.members)],
          ratePerRoom: rc.rate,
          sendersPerRoom: defaultSenders(rc.members, rc.rate),
          durationS: rc.durationS,
          warmupS: 0.5,
          drainS: 2,
          pids: [s.pid],
          label: `redis N=${rc.members}`,
        }),
      );
      // Messages sent in the window (warm-up included); the members' connects are subtracted, command by command.
      const sentMsgs = Math.round(msg.result.sent * (1 + 0.5 / rc.durationS));
      const perMsg = (m: Map<string, number>, c: Map<string, number>) =>
        new Map([...m.entries()].map(([k, v]) => [k, Math.max(0, v - ((c.get(k) ?? 0) / rc.connects) * rc.members)] as [string, number]));
      const ms = perMsg(msg.sent, conn.sent);
      const mi = perMsg(msg.inScripts, conn.inScripts);
      out(
        `[csi-chat] redis per message (N=${rc.members}, ${rc.rate} msg/s, ~${sentMsgs} messages; the ${rc.members} connects subtracted): ` +
          `${(total(ms) / sentMsgs).toFixed(2)} commands sent (${listing(ms, sentMsgs)}); ` +
          `${(total(mi) / sentMsgs).toFixed(2)} run inside scripts (${listing(mi, sentMsgs)}); ` +
          `Redis CPU ${(((msg.cpuS - (conn.cpuS / rc.connects) * rc.members) * 1e6) / sentMsgs).toFixed(0)} µs per message (server-wide, MONITOR included: an upper bound)`,
      );
    } finally {
      await s.stop();
    }
  }
  return { ok, rows, lines };
}

function machineState(): Record<string, string> {
  const git = (c: string) => {
    try {
      return execSync(`git ${c}`, { cwd: ROOT }).toString().trim();
    } catch {
      return '?';
    }
  };
  return {
    commit: `${git('rev-parse --short HEAD')}${git('status --porcelain -- src bench') ? ' (+ uncommitted changes)' : ''}`,
    cores: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
    node: process.version,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  };
}

const BEGIN = '<!-- limit-runs:begin (bench/limit/run.ts --full appends here) -->';
const END = '<!-- limit-runs:end -->';

/** Appends one run to bench/results.md between the markers (creating the section once). */
function record(before: Record<string, string>, after: Record<string, string>, started: Date, res: LimitOutcome): void {
  const file = path.join(ROOT, 'bench', 'results.md');
  let text = fs.readFileSync(file, 'utf8');
  if (!text.includes(BEGIN)) {
    text +=
      '\n## Against the limit reference (issue #17: `npm run bench:limit -- --full`)\n\n' +
      'csi-chat (Postgres + Redis, one process) and the bare `ws` broadcaster `bench/limit/server.ts`, fresh processes\n' +
      'for each scenario, one after the other in the same run, measured by the same generator (`bench/loadgen.ts`).\n' +
      'Ratio = csi-chat ÷ limit. Each run below is appended by the command, with its commit and machine state.\n\n' +
      `${BEGIN}\n${END}\n`;
  }
  const block =
    `\n### Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC — commit ${after.commit}\n\n` +
    `Machine: ${before.cores}; Node ${before.node}; load average (1/5/15 min) ${before.load} at the start, ${after.load} at the end.\n\n` +
    '| scenario | csi-chat | limit | ratio (csi-chat ÷ limit) | note |\n|---|---|---|---|---|\n' +
    res.rows
      .map(
        (r) =>
          `| ${r.scenario} | ${fmt(r.csi)} ${r.unit} | ${fmt(r.limit)} ${r.unit} | ${fmt(ratio(r))}× (${r.better} is better) | ${r.note ?? ''} |`,
      )
      .join('\n') +
    '\n\n```\n' +
    res.lines.join('\n') +
    '\n```\n';
  text = text.replace(END, `${block}${END}`);
  fs.writeFileSync(file, text);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { flags } = parseFlags(process.argv.slice(2));
  const size: LimitSize = flags.full === 'true' ? 'full' : 'smoke';
  const db = process.env.BENCH_DB ?? (size === 'full' ? 'csi_bench_limit' : 'csi_bench_smoke');
  const started = new Date();
  const before = machineState();
  console.log(`limit run (${size}) at ${started.toISOString()}: commit ${before.commit}, ${before.cores}, Node ${before.node}, load ${before.load}`);
  const cpu0 = cpuSeconds(process.pid);
  runLimit(size, { db, skipSetup: flags['skip-setup'] === 'true', only: flags.only?.split(','), prof: flags.prof === 'true' }).then(
    (res) => {
      const after = machineState();
      console.log(
        `limit run done: load ${after.load}; generator CPU ${(cpuSeconds(process.pid) - cpu0).toFixed(0)} s; ${res.ok ? 'all delivered' : 'FAILED'}`,
      );
      if (size === 'full') record(before, after, started, res);
      process.exit(res.ok ? 0 : 1);
    },
    (err: Error) => {
      console.error(`limit run: ${err.message}`);
      process.exit(1);
    },
  );
}
