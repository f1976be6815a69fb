// csi-chat as a real child process (what a platform runs): `node --import tsx src/main.ts`, or the
// compiled `node dist/main.js`. Records every output line, finds the port in the "listening" log line,
// and reports how and when the process exited. Tests that spawn must call killAll() in an after hook.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { ROOT } from './harness.ts';

export type Entry = 'src' | 'dist';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the process exited. */
  at: number;
}

export class ServerProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  exit: Exit | null = null;
  private waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        if (this.lines.length < 5000) this.lines.push(line);
        this.wake();
      });
    }
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        this.wake();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  /** The first output line matching `re` (waits for it); rejects on exit or timeout, with the output. */
  async waitForLine(re: RegExp, timeoutMs = 60000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find((l) => re.test(l));
      if (hit) return hit;
      if (this.exit) throw new Error(`process exited (${JSON.stringify(this.exit)}) before printing ${re}:\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`no line ${re} within ${timeoutMs} ms:\n${this.output()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(200, Math.max(1, deadline - Date.now())));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the start-up log line and returns the port it names. */
  async listening(timeoutMs = 90000): Promise<number> {
    const line = await this.waitForLine(/csi-chat listening on/, timeoutMs);
    return (JSON.parse(line) as { port: number }).port;
  }

  /** Every log line whose msg matches `re`, parsed. */
  logs(re: RegExp): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const l of this.lines) {
      try {
        const j = JSON.parse(l) as Record<string, unknown>;
        if (typeof j.msg === 'string' && re.test(j.msg)) out.push(j);
      } catch {
        // not a log line
      }
    }
    return out;
  }

  output(): string {
    return this.lines.slice(-60).join('\n');
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(sig);
  }

  /** Resolves with the exit, or rejects after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`process still running after ${timeoutMs} ms:\n${this.output()}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const started = new Set<ServerProcess>();

export function spawnServer(env: Record<string, string>, entry: Entry = 'src', cwd = ROOT): ServerProcess {
  const args = entry === 'src' ? ['--import', 'tsx', path.join(ROOT, 'src/main.ts')] : [path.join(ROOT, 'dist/main.js')];
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = new ServerProcess(child);
  started.add(p);
  void p.exited.then(() => started.delete(p));
  return p;
}

/** SIGKILLs every process a test started and left running. */
export async function killAll(): Promise<void> {
  const left = [...started];
  for (const p of left) p.signal('SIGKILL');
  await Promise.all(left.map((p) => p.exited));
}

/** A TCP port free right now (for a cluster, whose workers must agree on one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
