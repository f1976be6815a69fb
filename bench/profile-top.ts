// Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`, e.g. `bench/run.ts … --prof`).
//   node --import tsx bench/profile-top.ts bench/out/prof/<tag>/CPU.*.cpuprofile [--top 25] [--from S] [--to S]
// --from / --to keep the samples between S seconds after the profile's start and S seconds (e.g. leave out the
// server's start-up: module compilation is a second or two of a short run).
import fs from 'node:fs';
import path from 'node:path';
import { num, parseFlags } from './common.ts';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const { pos, flags } = parseFlags(process.argv.slice(2));
const top = num(flags, 'top', 25);
const fromUs = num(flags, 'from', 0) * 1e6;
const toUs = num(flags, 'to', Infinity) * 1e6;
for (const file of pos) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    nodes: Node[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
  };
  const self = new Map<number, number>();
  let at = 0;
  prof.samples.forEach((id, i) => {
    const d = prof.timeDeltas[i] ?? 0;
    at += d;
    if (at >= fromUs && at <= toUs) self.set(id, (self.get(id) ?? 0) + d);
  });
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const n of prof.nodes) {
    const t = self.get(n.id) ?? 0;
    total += t;
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const short = url.includes('node_modules/') ? url.slice(url.lastIndexOf('node_modules/') + 13) : url ? path.relative(process.cwd(), url) : '';
    const key = `${n.callFrame.functionName || '(anonymous)'} ${short}${short ? ':' + (n.callFrame.lineNumber + 1) : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + t);
    const pkg = !url
      ? '(native/V8: ' + (n.callFrame.functionName || 'anonymous') + ')'
      : url.includes('node_modules/')
        ? url
            .slice(url.lastIndexOf('node_modules/') + 13)
            .split('/')
            .slice(0, url.includes('node_modules/@') ? 2 : 1)
            .join('/')
        : url.startsWith('node:')
          ? url
          : path.relative(process.cwd(), url);
    byFile.set(pkg, (byFile.get(pkg) ?? 0) + t);
  }
  const idle = byFn.get('(idle) ') ?? 0;
  const busy = total - idle;
  const pct = (t: number) => ((100 * t) / busy).toFixed(1).padStart(5) + '%';
  const window = fromUs > 0 || toUs < Infinity ? ` (${fromUs / 1e6}–${toUs === Infinity ? 'end' : toUs / 1e6} s)` : '';
  console.log(`${file}${window}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages are of busy time)`);
  byFn.delete('(idle) ');
  byFile.delete('(native/V8: (idle))');
  console.log('  by function (self time):');
  for (const [k, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)}  ${k}`);
  console.log('  by package / file (self time):');
  for (const [k, t] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(t)}  ${k}`);
}
