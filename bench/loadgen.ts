// Load generators (loopback only, bounded in clients and time). Each prints one summary line.
//
//   node --import tsx bench/loadgen.ts fanout --url ws://127.0.0.1:8000 --members 50 --rate 500 [--senders K]
//        [--room ID] [--duration 20] [--warmup 2] [--drain 3] [--pid P[,P2]]   (url may be a comma list: scale-out)
//   node --import tsx bench/loadgen.ts sweep  --url … --members 200 [--rates 100,200,400,…] [--duration 8]
//   node --import tsx bench/loadgen.ts rooms  --url … [--rooms 200] [--rate-per-room 2] [--duration 20]
//   node --import tsx bench/loadgen.ts idle   --url … --conns 10000 --pid P [--hold 10] [--concurrency 200]
//   node --import tsx bench/loadgen.ts rest   --base-url http://127.0.0.1:8000 --token T --path P [--duration 15] [--connections 20]
//
// Fan-out method = the baseline's: every member of a room is connected (one bench user each); K senders send
// {"message":"<tag>|k|seq|<performance.now()>"} at a fixed aggregate rate; every member (the sender too) must
// receive every message; latency = receive − send time in this process; delivered/s = frames of messages sent
// in the measured window that arrived by the end of the drain, / duration.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { assertLoopback, benchToken, cpuSeconds, latencySummary, num, parseFlags, rssKiB, sleep } from './common.ts';
import { ALL_ROOM, BENCH_USER_OFFSET, FANOUT_ROOMS, ROOMS_FIRST } from './fixture.ts';

/** The part of autocannon's result this file reads. */
interface AutocannonSummary {
  requests: { average: number; total: number };
  latency: { p50: number; p97_5: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

export const LIMITS = { maxClients: 12_000, maxDurationS: 120, maxRate: 50_000 };

export interface RoomSpec {
  id: number;
  /** bench user numbers (1-based) of the members to connect */
  users: number[];
}

export interface ChatRunOptions {
  urls: string[];
  rooms: RoomSpec[];
  /** senders per room (the first K members) */
  sendersPerRoom: number;
  /** aggregate msgs/s per room */
  ratePerRoom: number;
  durationS: number;
  warmupS: number;
  drainS: number;
  connectConcurrency?: number;
  pids?: number[];
  label: string;
}

export interface ChatRunResult {
  label: string;
  clients: number;
  rooms: number;
  members: number;
  senders: number;
  offered: number;
  sent: number;
  expected: number;
  received: number;
  deliveredPerS: number;
  ratio: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
  closed: number;
  connectFailures: number;
  serverCpuPct: number | null;
  line: string;
}

interface Client {
  ws: WebSocket;
  room: number;
}

function wsUrl(base: string, room: number, token: string): string {
  const u = assertLoopback(base);
  return `${u.protocol}//${u.host}/ws/chat/${room}/?token=${token}`;
}

/** Opens sockets with at most `concurrency` handshakes in flight; resolves with the open ones. */
export async function connectMany(
  specs: Array<{ url: string; onMessage?: (data: Buffer) => void; onClose?: () => void }>,
  concurrency: number,
): Promise<{ sockets: Array<WebSocket | null>; failures: number; errorsSample: string[]; connectMs: number[] }> {
  const sockets: Array<WebSocket | null> = new Array(specs.length).fill(null);
  let failures = 0;
  const errorsSample: string[] = [];
  const connectMs: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      const spec = specs[i];
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const ws = new WebSocket(spec.url, { perMessageDeflate: false, handshakeTimeout: 30_000 });
        let done = false;
        let opened = false;
        ws.on('open', () => {
          done = true;
          opened = true;
          connectMs.push(performance.now() - t0);
          sockets[i] = ws;
          resolve();
        });
        ws.on('error', (err) => {
          if (!done) {
            done = true;
            failures++;
            if (errorsSample.length < 3) errorsSample.push(String((err as Error).message));
            resolve();
          }
        });
        ws.on('unexpected-response', (_req, res) => {
          if (!done) {
            done = true;
            failures++;
            if (errorsSample.length < 3) errorsSample.push(`HTTP ${res.statusCode}`);
            ws.terminate();
            resolve();
          }
        });
        if (spec.onMessage) ws.on('message', (d: Buffer) => spec.onMessage!(d));
        if (spec.onClose) ws.on('close', () => opened && spec.onClose!());
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
  return { sockets, failures, errorsSample, connectMs };
}

const fmt = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : 'n/a');

export async function runChat(o: ChatRunOptions): Promise<ChatRunResult> {
  const clientsTotal = o.rooms.reduce((s, r) => s + r.users.length, 0);
  if (clientsTotal > LIMITS.maxClients) throw new Error(`at most ${LIMITS.maxClients} clients`);
  if (o.durationS + o.warmupS + o.drainS > LIMITS.maxDurationS) throw new Error(`at most ${LIMITS.maxDurationS} s per run`);
  if (o.ratePerRoom * o.rooms.length > LIMITS.maxRate) throw new Error(`at most ${LIMITS.maxRate} msgs/s offered`);
  o.urls.forEach(assertLoopback);
  const tag = `b${Date.now().toString(36)}`;
  const warmTag = `${tag}w|`;
  const measTag = `${tag}m|`;
  const latencies: number[] = [];
  let received = 0;
  let errors = 0;
  let closed = 0;
  let stopping = false;
  const onMessage = (d: Buffer) => {
    const now = performance.now();
    const s = d.toString();
    const i = s.indexOf(measTag);
    if (i < 0) {
      if (s.indexOf(warmTag) < 0 && (s.includes('"error"') || s.includes('"detail"'))) errors++;
      return;
    }
    // <tag>m|k|seq|ts
    const end = s.indexOf('"', i);
    const parts = s.slice(i, end).split('|');
    const ts = Number(parts[3]);
    if (!Number.isFinite(ts)) return;
    received++;
    latencies.push(now - ts);
  };
  const specs: Array<{ url: string; onMessage: (d: Buffer) => void; onClose: () => void; room: number; user: number }> = [];
  let n = 0;
  for (const r of o.rooms) {
    for (const u of r.users) {
      const base = o.urls[n++ % o.urls.length];
      specs.push({ url: wsUrl(base, r.id, benchToken(u)), onMessage, onClose: () => !stopping && closed++, room: r.id, user: u });
    }
  }
  const conn = await connectMany(specs, o.connectConcurrency ?? 100);
  const clients: Client[] = [];
  conn.sockets.forEach((ws, i) => ws && clients.push({ ws, room: specs[i].room }));
  // senders: the first K connected members of each room; each message is expected by every connected member
  const byRoom = new Map<number, WebSocket[]>();
  for (const c of clients) {
    const l = byRoom.get(c.room) ?? [];
    l.push(c.ws);
    byRoom.set(c.room, l);
  }
  const senders: Array<{ ws: WebSocket; members: number }> = [];
  for (const r of o.rooms) {
    const inRoom = byRoom.get(r.id) ?? [];
    for (const ws of inRoom.slice(0, o.sendersPerRoom)) senders.push({ ws, members: inRoom.length });
  }
  const membersPerRoom = o.rooms.map((r) => (byRoom.get(r.id) ?? []).length);
  const perSender = o.ratePerRoom / Math.max(1, o.sendersPerRoom);
  let sentMeasured = 0;
  let expected = 0;
  const seqs = new Array(senders.length).fill(0);
  const t0 = performance.now();
  const warmEnd = t0 + o.warmupS * 1000;
  const sendEnd = warmEnd + o.durationS * 1000;
  let cpu0: number | null = null;
  let gen0: NodeJS.CpuUsage | null = null;
  const pids = o.pids ?? [];
  // one scheduler for all senders: sender j's i-th message is due at t0 + (i + j/K) / perSender
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (cpu0 === null && now >= warmEnd) {
        cpu0 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
        gen0 = process.cpuUsage();
      }
      if (now >= sendEnd) return resolve();
      for (let j = 0; j < senders.length; j++) {
        const offset = ((j % o.sendersPerRoom) / o.sendersPerRoom) * (1000 / perSender);
        const due = Math.floor(((now - t0 - offset) * perSender) / 1000) + 1;
        while (seqs[j] < due) {
          const sendAt = performance.now();
          const measured = sendAt >= warmEnd && sendAt < sendEnd;
          const msg = `{"message":"${measured ? measTag : warmTag}${j}|${seqs[j]}|${sendAt}"}`;
          seqs[j]++;
          const s = senders[j];
          if (s.ws.readyState !== WebSocket.OPEN) continue;
          s.ws.send(msg);
          if (measured) {
            sentMeasured++;
            expected += s.members;
          }
        }
      }
      setTimeout(tick, 2);
    };
    tick();
  });
  const cpu1 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
  const cpuPct = pids.length && cpu0 !== null ? ((cpu1 - cpu0) / o.durationS) * 100 : null;
  // The generator's own CPU over the measured window (it shares the 2 cores with the server).
  const genUsage = gen0 ? process.cpuUsage(gen0) : null;
  const genPct = genUsage ? ((genUsage.user + genUsage.system) / 1e6 / o.durationS) * 100 : null;
  // drain: wait until all expected frames arrived or the drain time is over
  const drainEnd = performance.now() + o.drainS * 1000;
  while (received < expected && performance.now() < drainEnd) await sleep(50);
  stopping = true;
  for (const c of clients) c.ws.terminate();
  const lat = latencySummary(latencies);
  const deliveredPerS = received / o.durationS;
  const ratio = expected ? received / expected : 0;
  const members = o.rooms.length === 1 ? membersPerRoom[0] : Math.round(clients.length / o.rooms.length);
  const line =
    `${o.label} rooms=${o.rooms.length} members=${members} clients=${clients.length} senders=${senders.length} ` +
    `offered=${fmt(o.ratePerRoom * o.rooms.length)}msg/s sent=${sentMeasured} delivered/s=${fmt(deliveredPerS)} ratio=${ratio.toFixed(3)} ` +
    `p50=${fmt(lat.p50)}ms p95=${fmt(lat.p95)}ms p99=${fmt(lat.p99)}ms max=${fmt(lat.max)}ms errors=${errors} closed=${closed} ` +
    `connfail=${conn.failures}${conn.errorsSample.length ? `(${conn.errorsSample.join('; ')})` : ''}` +
    (cpuPct !== null ? ` server_cpu=${cpuPct.toFixed(0)}%` : '') +
    (genPct !== null ? ` gen_cpu=${genPct.toFixed(0)}%` : '') +
    ` load=${loadavg()[0].toFixed(2)}`;
  return {
    label: o.label,
    clients: clients.length,
    rooms: o.rooms.length,
    members,
    senders: senders.length,
    offered: o.ratePerRoom * o.rooms.length,
    sent: sentMeasured,
    expected,
    received,
    deliveredPerS,
    ratio,
    ...lat,
    errors,
    closed,
    connectFailures: conn.failures,
    serverCpuPct: cpuPct,
    line,
  };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

export function fanoutRoom(members: number, room?: number): RoomSpec {
  const id = room ?? FANOUT_ROOMS[members];
  if (id === undefined) throw new Error(`no fixture room with ${members} members; pass --room (members must be bench users 1..N)`);
  return { id, users: range(1, members) };
}

export function defaultSenders(members: number, rate: number): number {
  return Math.max(1, Math.min(members, Math.ceil(rate / 10)));
}

export function roomsSpec(count: number): RoomSpec[] {
  return range(1, count).map((j) => ({ id: ROOMS_FIRST - 1 + j, users: range(10 * (j - 1) + 1, 10 * j) }));
}

export interface SweepResult {
  best: ChatRunResult | null;
  runs: ChatRunResult[];
  line: string;
}

export const passes = (r: ChatRunResult) => r.p99 < 250 && r.ratio >= 0.9999 && r.errors === 0 && r.closed === 0 && r.connectFailures === 0;

/** Raises the rate until p99 ≥ 250 ms or frames go missing; `beforeRun` resets the bench-room messages. */
export async function sweep(
  base: Omit<ChatRunOptions, 'ratePerRoom' | 'sendersPerRoom' | 'label'>,
  members: number,
  rates: number[],
  log: (s: string) => void,
  beforeRun?: () => Promise<void>,
): Promise<SweepResult> {
  const runs: ChatRunResult[] = [];
  let best: ChatRunResult | null = null;
  for (const rate of rates) {
    if (beforeRun) await beforeRun();
    const r = await runChat({ ...base, ratePerRoom: rate, sendersPerRoom: defaultSenders(members, rate), label: `sweep-step N=${members}` });
    log(r.line);
    runs.push(r);
    if (!passes(r)) break;
    best = r;
  }
  const line = best
    ? `sweep N=${members} highest rate with p99<250ms and all frames delivered: ${fmt(best.offered)} msg/s = ${fmt(best.deliveredPerS)} frames/s (p99 ${fmt(best.p99)} ms)` +
      (runs.length > 0 && passes(runs[runs.length - 1])
        ? ' [last rate tried; the limit is higher]'
        : `; next step ${fmt(runs[runs.length - 1].offered)} msg/s failed`)
    : `sweep N=${members}: no rate met p99<250ms with all frames delivered`;
  return { best, runs, line };
}

export interface IdleResult {
  line: string;
  connected: number;
  stillOpen: number;
  perConnKiB: number;
  connectRate: number;
  /** Seconds from the first connect to the last socket open (a reconnect storm's "all back"). */
  wallS: number;
  /** Server CPU-µs (utime+stime) per opened socket while connecting. */
  cpuPerConnUs: number;
}

export async function runIdle(o: {
  url: string;
  conns: number;
  pid: number;
  holdS: number;
  concurrency: number;
  room?: number;
}): Promise<IdleResult> {
  if (o.conns > LIMITS.maxClients) throw new Error(`at most ${LIMITS.maxClients} sockets`);
  const room = o.room ?? ALL_ROOM;
  await sleep(1000);
  const rss0 = rssKiB(o.pid);
  const specs = range(1, o.conns).map((u) => ({ url: wsUrl(o.url, room, benchToken(u)) }));
  const cpu0 = cpuSeconds(o.pid);
  const t0 = performance.now();
  const conn = await connectMany(specs, o.concurrency);
  const wall = (performance.now() - t0) / 1000;
  // The server's CPU per handshake: less sensitive than the rate to what else runs on a shared machine.
  const cpuPerConnUs = conn.sockets.length ? ((cpuSeconds(o.pid) - cpu0) * 1e6) / Math.max(1, conn.sockets.filter(Boolean).length) : NaN;
  const open = conn.sockets.filter(Boolean) as WebSocket[];
  await sleep(o.holdS * 1000);
  const rss1 = rssKiB(o.pid);
  const stillOpen = open.filter((w) => w.readyState === WebSocket.OPEN).length;
  const lat = latencySummary(conn.connectMs);
  for (const w of open) w.terminate();
  await sleep(3000);
  const rss2 = rssKiB(o.pid);
  const perConn = open.length ? (rss1 - rss0) / open.length : NaN;
  const rate = open.length / wall;
  const line =
    `idle conns=${o.conns} connected=${open.length} open_after_hold=${stillOpen} connfail=${conn.failures}${conn.errorsSample.length ? `(${conn.errorsSample.join('; ')})` : ''} ` +
    `connect_wall=${wall.toFixed(2)}s rate=${rate.toFixed(0)}/s connect_p50=${fmt(lat.p50)}ms p99=${fmt(lat.p99)}ms server_cpu/connect=${cpuPerConnUs.toFixed(0)}us ` +
    `rss ${(rss0 / 1024).toFixed(1)}MiB -> ${(rss1 / 1024).toFixed(1)}MiB per_conn=${perConn.toFixed(2)}KiB rss_3s_after_close=${(rss2 / 1024).toFixed(1)}MiB load=${loadavg()[0].toFixed(2)}`;
  return { line, connected: open.length, stillOpen, perConnKiB: perConn, connectRate: rate, wallS: wall, cpuPerConnUs };
}

export interface RestResult {
  line: string;
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
  bytes: number;
}

export async function runRest(o: {
  baseUrl: string;
  token: string;
  path: string;
  durationS: number;
  connections: number;
  pid?: number;
}): Promise<RestResult> {
  assertLoopback(o.baseUrl);
  if (o.durationS > LIMITS.maxDurationS) throw new Error('duration too long');
  if (o.connections > 200) throw new Error('at most 200 connections');
  const { default: autocannon } = await import('autocannon');
  // one probe first (status and body size)
  const probe = await fetch(o.baseUrl + o.path, { headers: { Authorization: `Token ${o.token}` } });
  const body = await probe.text();
  let json = true;
  try {
    JSON.parse(body);
  } catch {
    json = false;
  }
  const cpu0 = o.pid ? cpuSeconds(o.pid) : null;
  const gen0 = process.cpuUsage();
  const r: AutocannonSummary = await autocannon({
    url: o.baseUrl + o.path,
    connections: o.connections,
    duration: o.durationS,
    headers: { Authorization: `Token ${o.token}` },
  });
  const gen = process.cpuUsage(gen0);
  const serverCpu = o.pid && cpu0 !== null ? ((cpuSeconds(o.pid) - cpu0) / o.durationS) * 100 : null;
  const line =
    `rest ${o.path} status=${probe.status} body=${body.length}B${json ? '' : '(not JSON)'} req/s=${r.requests.average.toFixed(1)} ` +
    `p50=${r.latency.p50}ms p97.5=${r.latency.p97_5}ms p99=${r.latency.p99}ms max=${r.latency.max}ms ` +
    `total=${r.requests.total} non2xx=${r.non2xx} errors=${r.errors} timeouts=${r.timeouts}` +
    (serverCpu !== null ? ` server_cpu=${serverCpu.toFixed(0)}%` : '') +
    ` gen_cpu=${(((gen.user + gen.system) / 1e6 / o.durationS) * 100).toFixed(0)}% load=${loadavg()[0].toFixed(2)}`;
  return {
    line,
    rps: r.requests.average,
    p99: r.latency.p99,
    non2xx: r.non2xx + (probe.status >= 300 || !json ? 1 : 0),
    errors: r.errors + r.timeouts,
    bytes: body.length,
  };
}

async function cli(): Promise<void> {
  const { pos, flags } = parseFlags(process.argv.slice(2));
  const urls = (flags.url ?? 'ws://127.0.0.1:8000').split(',');
  const pids = flags.pid ? flags.pid.split(',').map(Number) : [];
  const common = { urls, durationS: num(flags, 'duration', 20), warmupS: num(flags, 'warmup', 2), drainS: num(flags, 'drain', 3), pids };
  switch (pos[0]) {
    case 'fanout': {
      const members = num(flags, 'members', 50);
      const rate = num(flags, 'rate', 10);
      const room = fanoutRoom(members, flags.room ? Number(flags.room) : undefined);
      const r = await runChat({
        ...common,
        rooms: [room],
        ratePerRoom: rate,
        sendersPerRoom: num(flags, 'senders', defaultSenders(members, rate)),
        label: `fanout N=${members}`,
      });
      console.log(r.line);
      break;
    }
    case 'sweep': {
      const members = num(flags, 'members', 50);
      const rates = (flags.rates ?? '50,100,200,400,600,800,1000,1500,2000,3000').split(',').map(Number);
      const room = fanoutRoom(members, flags.room ? Number(flags.room) : undefined);
      const s = await sweep({ ...common, durationS: num(flags, 'duration', 8), rooms: [room] }, members, rates, console.log);
      console.log(s.line);
      break;
    }
    case 'rooms': {
      const count = num(flags, 'rooms', 200);
      const r = await runChat({
        ...common,
        rooms: roomsSpec(count),
        ratePerRoom: num(flags, 'rate-per-room', 2),
        sendersPerRoom: num(flags, 'senders', 2),
        label: 'rooms',
      });
      console.log(r.line);
      break;
    }
    case 'idle': {
      if (!pids.length) throw new Error('idle needs --pid <server pid>');
      const r = await runIdle({
        url: urls[0],
        conns: num(flags, 'conns', 1000),
        pid: pids[0],
        holdS: num(flags, 'hold', 10),
        concurrency: num(flags, 'concurrency', 200),
      });
      console.log(r.line);
      break;
    }
    case 'rest': {
      const r = await runRest({
        baseUrl: flags['base-url'] ?? 'http://127.0.0.1:8000',
        token: flags.token ?? benchToken(1),
        path: flags.path ?? '/api/chat/groups/',
        durationS: num(flags, 'duration', 15),
        connections: num(flags, 'connections', 20),
        pid: pids[0],
      });
      console.log(r.line);
      break;
    }
    default:
      console.error('usage: bench/loadgen.ts fanout|sweep|rooms|idle|rest [flags] (see the header of bench/loadgen.ts)');
      process.exit(2);
  }
  process.exit(0);
}

export { BENCH_USER_OFFSET };

if (import.meta.url === `file://${process.argv[1]}`) {
  cli().catch((err) => {
    console.error(`loadgen: ${(err as Error).message}`);
    process.exit(1);
  });
}
