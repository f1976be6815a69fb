// Shared helpers of the load generators: bench tokens, loopback guard, percentiles, server processes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** The baseline fixture's DRF token of bench user i: substr(md5('csi-bench-'||i)||md5('csi-bench2-'||i),1,40). */
export function benchToken(i: number): string {
  const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');
  return (md5(`csi-bench-${i}`) + md5(`csi-bench2-${i}`)).slice(0, 40);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Refuses anything that is not a loopback target (the generators must never load a real host). */
export function assertLoopback(target: string): URL {
  const u = new URL(target);
  if (!LOOPBACK.has(u.hostname) && !/^127\.\d+\.\d+\.\d+$/.test(u.hostname)) {
    throw new Error(`refusing non-loopback target ${target} (bench tools run on 127.0.0.1 only)`);
  }
  return u;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export function latencySummary(samples: number[]): { p50: number; p95: number; p99: number; max: number } {
  const a = Float64Array.from(samples).sort();
  return { p50: percentile(a, 50), p95: percentile(a, 95), p99: percentile(a, 99), max: a.length ? a[a.length - 1] : NaN };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** utime+stime of a process in seconds (for CPU % over a window). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Minimal --flag value parser: numbers when numeric, booleans for bare flags. */
export function parseFlags(argv: string[]): { pos: string[]; flags: Record<string, string> } {
  const pos: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags[a.slice(2)] = argv[++i];
      else flags[a.slice(2)] = 'true';
    } else pos.push(a);
  }
  return { pos, flags };
}

export function num(flags: Record<string, string>, name: string, fallback: number): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number`);
  return n;
}

export interface ServerProc {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  stderr: string[];
  stop(): Promise<void>;
}

export interface ServerEnv {
  port: number;
  databaseUrl?: string;
  redisUrl?: string;
  dataDir?: string;
  extraEnv?: Record<string, string>;
  nodeArgs?: string[];
  /** The script to run instead of src/main.ts (bench/limit/server.ts: the limit reference). */
  entry?: string;
  /** Extra arguments after the script. */
  args?: string[];
}

/** Starts `node --import tsx src/main.ts` on 127.0.0.1:port and waits until /api/warmup/ answers. */
export async function startServer(opts: ServerEnv): Promise<ServerProc> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(opts.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...opts.extraEnv,
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  if (opts.redisUrl) env.REDIS_URL = opts.redisUrl;
  if (opts.dataDir) env.DATA_DIR = opts.dataDir;
  // BENCH_SERVER=standin runs bench/standin.ts instead (checks the harness itself; not csi-chat)
  const entry = opts.entry ?? (process.env.BENCH_SERVER === 'standin' ? 'bench/standin.ts' : 'src/main.ts');
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', entry, ...(opts.args ?? [])], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    stderr.push(d.toString());
    if (stderr.length > 200) stderr.shift();
  });
  let exited = false;
  const exitP = new Promise<void>((r) => child.on('exit', () => ((exited = true), r())));
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`server exited during start-up: ${stderr.join('').slice(-2000)}`);
    try {
      const r = await fetch(`${url}/api/warmup/`);
      if (r.status === 200) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer on ${url} within 60 s: ${stderr.join('').slice(-2000)}`);
    }
    await sleep(200);
  }
  return {
    child,
    pid: child.pid!,
    port: opts.port,
    url,
    stderr,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitP;
      clearTimeout(t);
    },
  };
}
