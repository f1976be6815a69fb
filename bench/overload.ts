// Overload reproducer (issue 13 #3): one room of 50 members on an embedded server (PGlite + memory layer,
// `npm start` with no env), every member sending at 20 msg/s (1,000 msg/s offered, within the default
// per-socket rate limit) for 10 s. Prints what the senders were told and what the room received:
//
//   node --import tsx bench/overload.ts [--members 50] [--rate 1000] [--duration 10] [--drain 15]
//        [--port 18470] [--skip-setup] [--prof] [--env NAME=VALUE,NAME=VALUE]
//
//   sent         frames sent by the members
//   acked        sends whose chat_message came back to their sender (is_self: true): stored and fanned out
//   refused      sends answered with an {"error": …} frame (the counts per text follow)
//   unanswered   neither, by the end of the drain
//   delivered    chat_message frames received by the other members / (acked × (members − 1))
//   ack p50/p99  send → own chat_message, ms (acknowledged sends only)
//   closed       sockets the server closed (codes)
//   stored       messages of the run in the room (REST count), against acked: nothing acknowledged lost,
//                nothing refused stored
//
// Loopback only; the server runs with its defaults (no raised rate limits) unless --env says otherwise.
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { ROOT, benchToken, cpuSeconds, latencySummary, num, parseFlags, sleep, startServer } from './common.ts';
import { connectMany } from './loadgen.ts';
import { FANOUT_ROOMS } from './fixture.ts';
import { setupDatabase } from './run.ts';

const DB = 'csi_overload';

export interface OverloadResult {
  sent: number;
  acked: number;
  refused: number;
  unanswered: number;
  delivered: number;
  expectedDeliveries: number;
  p50: number;
  p99: number;
  max: number;
  closed: Record<string, number>;
  errors: Record<string, number>;
  stored: number | null;
  line: string;
}

/** The room's message count (the paginated history's `count`), or null. */
async function roomCount(httpBase: string, room: number): Promise<number | null> {
  try {
    const r = await fetch(`${httpBase}/api/chat/groups/${room}/messages/?page=1`, { headers: { Authorization: `Token ${benchToken(1)}` } });
    const body = (await r.json()) as { count?: number };
    return typeof body.count === 'number' ? body.count : null;
  } catch {
    return null;
  }
}

export async function runOverload(o: {
  wsBase: string;
  httpBase: string;
  room: number;
  members: number;
  rate: number;
  durationS: number;
  drainS: number;
}): Promise<OverloadResult> {
  const tag = `ov${Date.now().toString(36)}`;
  const before = await roomCount(o.httpBase, o.room);
  const sentAt = new Map<string, number>();
  const ackLatencies: number[] = [];
  let t0 = performance.now();
  let acked = 0;
  let refused = 0;
  let delivered = 0;
  const errors: Record<string, number> = {};
  const closed: Record<string, number> = {};
  let stopping = false;

  const onMessage = (d: Buffer) => {
    const now = performance.now();
    const s = d.toString();
    if (s.startsWith('{"error"')) {
      const text = (JSON.parse(s) as { error: string }).error;
      errors[text] = (errors[text] ?? 0) + 1;
      // An error frame answers one send (which one is not said: a refusal can overtake the echo of the
      // send before it, whose fan-out is a later turn).
      refused++;
      return;
    }
    const i = s.indexOf(tag);
    if (i < 0) return;
    const key = s.slice(i, s.indexOf('"', i));
    if (s.includes('"is_self": true')) {
      const t = sentAt.get(key);
      if (t === undefined) return;
      acked++;
      ackLatencies.push(now - t);
      const second = Math.floor((t - t0) / 1000);
      (bySecond[second] ??= []).push(now - t);
    } else {
      delivered++;
    }
  };
  const specs = Array.from({ length: o.members }, (_, j) => ({
    url: `${o.wsBase}/ws/chat/${o.room}/?token=${benchToken(j + 1)}`,
    onMessage,
  }));
  const conn = await connectMany(specs, 50);
  // The generator shares the machine: its own CPU and event-loop delay say whether it kept up.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const genCpu0 = process.cpuUsage();
  // The server's responsiveness: a probe request every 200 ms (an embedded server's event loop also runs PGlite).
  const probes: number[] = [];
  let probing = true;
  const probeLoop = (async () => {
    while (probing) {
      const p0 = performance.now();
      try {
        await fetch(`${o.httpBase}/api/warmup/`);
        probes.push(performance.now() - p0);
      } catch {
        probes.push(Number.POSITIVE_INFINITY);
      }
      await sleep(200);
    }
  })();
  if (conn.failures) throw new Error(`${conn.failures} handshakes failed: ${conn.errorsSample.join('; ')}`);
  const sockets = conn.sockets as WebSocket[];
  sockets.forEach((ws) =>
    ws.on('close', (code: number) => {
      if (!stopping) closed[code] = (closed[code] ?? 0) + 1;
    }),
  );

  /** Ack latencies by the second of the run their send was made in (how the delay builds up). */
  const bySecond: number[][] = [];
  const perMember = o.rate / o.members;
  const seqs = new Array<number>(o.members).fill(0);
  let sent = 0;
  t0 = performance.now();
  const end = t0 + o.durationS * 1000;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now >= end) return resolve();
      for (let j = 0; j < o.members; j++) {
        // member j's i-th send is due at t0 + (i + j/members) / perMember
        const due = Math.floor(((now - t0) * perMember) / 1000 - j / o.members) + 1;
        while (seqs[j] < due) {
          const key = `${tag}|${j}|${seqs[j]++}`;
          if (sockets[j].readyState !== WebSocket.OPEN) continue;
          sentAt.set(key, performance.now());
          sockets[j].send(`{"message":"${key}"}`);
          sent++;
        }
      }
      setTimeout(tick, 2);
    };
    tick();
  });
  const drainEnd = performance.now() + o.drainS * 1000;
  const expectedNow = () => acked * (o.members - 1);
  while ((acked + refused < sent || delivered < expectedNow()) && performance.now() < drainEnd) await sleep(100);
  stopping = true;
  for (const ws of sockets) ws.terminate();
  lag.disable();
  probing = false;
  await probeLoop;
  const probe = latencySummary(probes);
  const genCpu = process.cpuUsage(genCpu0);
  const genPct = ((genCpu.user + genCpu.system) / 1e3 / (performance.now() - t0)) * 100;

  // The room's messages stored by this run, counted over REST (the server holds the embedded database).
  const after = await roomCount(o.httpBase, o.room);
  const stored = before !== null && after !== null ? after - before : null;

  const lat = latencySummary(ackLatencies);
  const expectedDeliveries = expectedNow();
  const fmt = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : 'n/a');
  const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');
  const unanswered = sent - acked - refused;
  const line =
    `overload members=${o.members} offered=${o.rate}msg/s duration=${o.durationS}s sent=${sent} ` +
    `acked=${acked} (${pct(acked, sent)}) refused=${refused} (${pct(refused, sent)}) unanswered=${unanswered} ` +
    `delivered=${delivered}/${expectedDeliveries} (${pct(delivered, expectedDeliveries)}) ` +
    `ack_p50=${fmt(lat.p50)}ms ack_p99=${fmt(lat.p99)}ms ack_max=${fmt(lat.max)}ms ` +
    `closed=${JSON.stringify(closed)} stored=${stored ?? 'n/a'} gen_cpu=${genPct.toFixed(0)}% gen_lag_p99=${(lag.percentile(99) / 1e6).toFixed(0)}ms ` +
    `server_probe_p50=${fmt(probe.p50)}ms server_probe_max=${fmt(probe.max)}ms` +
    (Object.keys(errors).length ? `\n  errors: ${JSON.stringify(errors)}` : '') +
    `\n  ack p50/p99 by send second: ${Array.from(bySecond, (l, i) => {
      const s = latencySummary(l ?? []);
      return `${i}:${l?.length ?? 0}@${fmt(s.p50)}/${fmt(s.p99)}`;
    }).join(' ')}`;
  return { sent, acked, refused, unanswered, delivered, expectedDeliveries, ...lat, closed, errors, stored, line };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { flags } = parseFlags(process.argv.slice(2));
  const members = num(flags, 'members', 50);
  const port = num(flags, 'port', 18470);
  const extraEnv: Record<string, string> = { LOAD_DEMO_DATA: 'false', METRICS_TOKEN: 'overload-bench' };
  for (const kv of (flags.env ?? '').split(',').filter(Boolean)) {
    const eq = kv.indexOf('=');
    extraEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const room = FANOUT_ROOMS[members];
  if (room === undefined) throw new Error(`no fixture room with ${members} members (${Object.keys(FANOUT_ROOMS).join(', ')})`);
  const dataDir = path.join(ROOT, 'bench', 'out', `pglite-${DB}`);
  void (async () => {
    if (flags['skip-setup'] !== 'true') await setupDatabase({ embedded: true, db: DB, prof: false }, 2000, 1);
    const profDir = path.join(ROOT, 'bench', 'out', 'prof', 'overload');
    const nodeArgs = flags.prof === 'true' ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    const server = await startServer({ port, dataDir, extraEnv, nodeArgs });
    const cpu0 = cpuSeconds(server.pid);
    const t0 = Date.now();
    try {
      const r = await runOverload({
        wsBase: `ws://127.0.0.1:${port}`,
        httpBase: server.url,
        room,
        members,
        rate: num(flags, 'rate', 1000),
        durationS: num(flags, 'duration', 10),
        drainS: num(flags, 'drain', 15),
      });
      console.log(r.line);
      const metrics = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer overload-bench' } })).text();
      console.log(
        `  server: ${metrics
          .split('\n')
          .filter((l) => /^csichat_(socket|sends|slow|frames)/.test(l))
          .join(', ')}`,
      );
      console.log(`  server cpu ${((100 * (cpuSeconds(server.pid) - cpu0)) / ((Date.now() - t0) / 1000)).toFixed(0)}% over the run`);
      if (server.stderr.length)
        console.log(`  server stderr (last lines): ${server.stderr.join('').split('\n').slice(-5).join(' | ').slice(0, 600)}`);
    } finally {
      await server.stop();
    }
  })();
}
