// npm run bench:startup — production start (`node dist/main.js`, after `npm run build`) against the
// development start (`node --import tsx src/main.ts`): time from spawn to the "listening" log line, and
// resident memory once idle. Needs DATABASE_URL (a Postgres with the Django schema: nothing is written)
// and `npm run build` first. Runs each start RUNS times (default 5), alternating, and prints medians with
// the machine's load average before and after (start-up time on a shared machine means little without it).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { ROOT, rssKiB, sleep } from './common.ts';

const RUNS = Number(process.env.RUNS ?? 5);
const IDLE_MS = 3000;

interface Sample {
  startMs: number;
  rssMiB: number;
}

async function once(args: string[]): Promise<Sample> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const startMs = await new Promise<number>((resolve, reject) => {
    lines.on('line', (l) => {
      if (l.includes('csi-chat listening on')) resolve(performance.now() - t0);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before listening`)));
  });
  await sleep(IDLE_MS);
  const rssMiB = rssKiB(child.pid!) / 1024;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return { startMs, rssMiB };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL (a Postgres with the Django schema)');
  if (!fs.existsSync(path.join(ROOT, 'dist/main.js'))) throw new Error('run npm run build first');
  const modes = { 'node dist/main.js': ['dist/main.js'], 'node --import tsx src/main.ts': ['--import', 'tsx', 'src/main.ts'] };
  const samples: Record<string, Sample[]> = {};
  const loadBefore = os.loadavg();
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(modes)) (samples[name] ??= []).push(await once(args));
  }
  const loadAfter = os.loadavg();
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  console.log(`node ${process.version}, ${RUNS} runs each, Postgres, idle ${IDLE_MS / 1000} s before reading RSS; ${os.cpus().length} cores`);
  console.log(`load average (1 / 5 / 15 min): before ${load(loadBefore)}, after ${load(loadAfter)}`);
  for (const [name, s] of Object.entries(samples)) {
    console.log(
      `${name.padEnd(32)} start ${median(s.map((x) => x.startMs))
        .toFixed(0)
        .padStart(5)} ms (min ${Math.min(...s.map((x) => x.startMs)).toFixed(0)})   idle RSS ${median(s.map((x) => x.rssMiB)).toFixed(1)} MiB`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
