// A small unified line diff (LCS over the lines that differ, common head/tail trimmed), enough to show
// where an expected body or frame list and the actual one part ways.

export function lineDiff(expected: string, actual: string, opts: { context?: number; maxLines?: number } = {}): string {
  const context = opts.context ?? 3;
  const maxLines = opts.maxLines ?? 80;
  const a = expected.split('\n');
  const b = actual.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);

  type Op = { op: ' ' | '-' | '+'; line: string };
  const ops: Op[] = [];
  for (const line of a.slice(0, head)) ops.push({ op: ' ', line });
  if (am.length * bm.length > 4_000_000) {
    // Too large for the quadratic table: show the block as replaced.
    for (const line of am) ops.push({ op: '-', line });
    for (const line of bm) ops.push({ op: '+', line });
  } else {
    // lcs[i][j] = LCS length of am[i..] and bm[j..]
    const lcs: Uint32Array[] = Array.from({ length: am.length + 1 }, () => new Uint32Array(bm.length + 1));
    for (let i = am.length - 1; i >= 0; i--) {
      for (let j = bm.length - 1; j >= 0; j--) {
        lcs[i][j] = am[i] === bm[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < am.length || j < bm.length) {
      if (i < am.length && j < bm.length && am[i] === bm[j]) {
        ops.push({ op: ' ', line: am[i++] });
        j++;
      } else if (i < am.length && (j >= bm.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
        ops.push({ op: '-', line: am[i++] });
      } else {
        ops.push({ op: '+', line: bm[j++] });
      }
    }
  }
  for (const line of a.slice(a.length - tail)) ops.push({ op: ' ', line });

  // Keep changed lines and `context` lines around them.
  const keep = new Array<boolean>(ops.length).fill(false);
  ops.forEach((o, k) => {
    if (o.op === ' ') return;
    for (let x = Math.max(0, k - context); x <= Math.min(ops.length - 1, k + context); x++) keep[x] = true;
  });
  const out: string[] = [];
  let skipped = false;
  ops.forEach((o, k) => {
    if (!keep[k]) {
      skipped = true;
      return;
    }
    if (skipped && out.length) out.push('  …');
    skipped = false;
    out.push(`${o.op} ${o.line}`);
  });
  if (out.length > maxLines) return [...out.slice(0, maxLines), `  … (${out.length - maxLines} more diff lines)`].join('\n');
  return out.join('\n');
}
