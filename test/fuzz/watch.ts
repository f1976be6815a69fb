// What the fuzz suites watch while inputs run, in the process that runs the server (the test process):
// the event loop's delay (perf_hooks.monitorEventLoopDelay), unhandled rejections, error-level log
// lines, and RSS. An input during which the loop stalled past the bound is a suspect; suspects are
// replayed alone afterwards, and only a stall that comes back on its own counts (a loaded machine
// can deschedule the process for 100 ms; a costly input stalls every time).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export const STALL_MS = 100;
/** RSS growth allowed over a surface's run (the first sample after warm-up is the base). */
export const RSS_GROWTH_MB = Number(process.env.FUZZ_RSS_GROWTH_MB ?? 400);

/** A pino logger for the server under test that keeps its error-level lines (msg and err message). */
export function recordingLogger(): { log: Logger; errors: string[] } {
  const errors: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const j = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string } };
          if (j.level >= 50 && errors.length < 1000) errors.push(`${j.msg ?? ''}: ${(j.err?.message ?? '').slice(0, 300)}`);
        } catch {
          // not JSON
        }
      }
      cb();
    },
  });
  return { log: pino({ level: 'error', base: undefined }, sink), errors };
}

export interface Failure {
  index: number;
  input: string;
  why: string;
}

/** Short printable form of an input for a failure report. */
export function show(s: string | Buffer | null, max = 300): string {
  if (s === null) return '<none>';
  const t = typeof s === 'string' ? s : s.toString('latin1');
  return JSON.stringify(t.length > max ? `${t.slice(0, max)}… (${t.length} chars)` : t);
}

export class Watch {
  readonly failures: Failure[] = [];
  readonly rejections: string[] = [];
  readonly suspects = new Map<number, number>();
  private readonly hist: IntervalHistogram;
  private readonly onRejection = (reason: unknown) => {
    this.rejections.push(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
  };
  rssBase = 0;
  rssMax = 0;
  maxDelayMs = 0;

  constructor() {
    this.hist = monitorEventLoopDelay({ resolution: 10 });
  }

  start(): void {
    process.on('unhandledRejection', this.onRejection);
    this.hist.enable();
    this.rssBase = process.memoryUsage().rss;
    this.rssMax = this.rssBase;
  }

  stop(): void {
    this.hist.disable();
    process.off('unhandledRejection', this.onRejection);
  }

  /** The loop's worst delay since the last call, in ms (and reset). */
  takeDelayMs(): number {
    const ms = this.hist.max / 1e6;
    this.hist.reset();
    if (ms > this.maxDelayMs) this.maxDelayMs = ms;
    return ms;
  }

  /** After a group of inputs ran: a stall marks each of them a suspect; RSS is sampled. */
  settle(indexes: readonly number[]): void {
    const ms = this.takeDelayMs();
    if (ms > STALL_MS) for (const i of indexes) this.suspects.set(i, Math.max(ms, this.suspects.get(i) ?? 0));
    const rss = process.memoryUsage().rss;
    if (rss > this.rssMax) this.rssMax = rss;
  }

  fail(index: number, input: string, why: string): void {
    if (this.failures.length < 200) this.failures.push({ index, input, why });
  }

  /** Replays suspects alone (twice each, the worst ones first, at most `limit`); a stall in both runs fails. */
  async replaySuspects(run: (index: number) => Promise<void>, describe: (index: number) => string, limit = 40): Promise<number> {
    const order = [...this.suspects.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
    let confirmed = 0;
    for (const [index, first] of order) {
      let worst = Infinity;
      for (let attempt = 0; attempt < 2 && worst > STALL_MS; attempt++) {
        await new Promise((r) => setTimeout(r, 20));
        this.takeDelayMs();
        await run(index);
        await new Promise((r) => setTimeout(r, 20));
        worst = Math.min(worst, this.takeDelayMs());
      }
      if (worst > STALL_MS) {
        confirmed++;
        this.fail(index, describe(index), `event loop stalled ${worst.toFixed(0)} ms when replayed alone (${first.toFixed(0)} ms in the run)`);
      }
    }
    return confirmed;
  }

  /** One line of figures for the report. */
  figures(label: string, seed: number, inputs: number, elapsedMs: number, extra = ''): string {
    const mb = (b: number) => (b / 1048576).toFixed(0);
    return (
      `    [fuzz] ${label}: seed=${seed} inputs=${inputs} in ${(elapsedMs / 1000).toFixed(1)} s, ` +
      `max loop delay ${this.maxDelayMs.toFixed(0)} ms, stall suspects ${this.suspects.size}, ` +
      `RSS ${mb(this.rssBase)} → max ${mb(this.rssMax)} MiB, failures ${this.failures.length}, ` +
      `unhandled rejections ${this.rejections.length}${extra ? ', ' + extra : ''}`
    );
  }

  /** The failure report (empty when all held): seed and index of each failing input, for FUZZ_SEED replay. */
  report(seed: number, errorLogs: readonly string[]): string {
    const lines: string[] = [];
    const growth = (this.rssMax - this.rssBase) / 1048576;
    if (growth > RSS_GROWTH_MB) lines.push(`RSS grew ${growth.toFixed(0)} MiB (bound ${RSS_GROWTH_MB} MiB)`);
    for (const r of this.rejections.slice(0, 5)) lines.push(`unhandled rejection: ${r.slice(0, 500)}`);
    for (const f of this.failures.slice(0, 20)) lines.push(`#${f.index} ${f.why}: ${f.input}`);
    if (this.failures.length > 20) lines.push(`… and ${this.failures.length - 20} more`);
    for (const e of errorLogs.slice(0, 10)) lines.push(`server error log: ${e}`);
    if (!lines.length) return '';
    return `fuzz failures (replay with FUZZ_SEED=${seed}):\n  ${lines.join('\n  ')}`;
  }
}
