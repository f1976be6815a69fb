// The set of transcripts to replay: the goldens of fixtures/golden/, the pending list (endpoints not
// built yet), and the variants that replace a golden where csi-chat deliberately differs
// (contract-tests/divergences.json + contract-tests/variants/<name>.json).
import fs from 'node:fs';
import path from 'node:path';
import { CONTRACT_DIR, GOLDEN_DIR } from './normalise.ts';
import type { Step, Transcript } from './types.ts';

export const PENDING_FILE = path.join(CONTRACT_DIR, 'pending.json');
export const DIVERGENCES_FILE = path.join(CONTRACT_DIR, 'divergences.json');
export const VARIANT_DIR = path.join(CONTRACT_DIR, 'variants');
export const SHARED_GOLDEN_DIR = '/work/shared/reference/golden';

export interface Pending {
  issue: number;
  reason: string;
}

export interface Divergence {
  id: string;
  transcripts: string[];
  reason: string;
  issue: number;
}

export interface Selected {
  name: string;
  transcript: Transcript;
  variant: boolean;
  pending?: Pending;
}

export function goldenNames(dir = GOLDEN_DIR): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function loadGolden(name: string, dir = GOLDEN_DIR): Transcript {
  return JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Transcript;
}

export function loadPending(file = PENDING_FILE): Record<string, Pending> {
  if (!fs.existsSync(file)) return {};
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Pending>;
  return Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith('_')));
}

export function loadDivergences(file = DIVERGENCES_FILE): Divergence[] {
  if (!fs.existsSync(file)) return [];
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Divergence[];
}

export function variantPath(name: string, dir = VARIANT_DIR): string {
  return path.join(dir, `${name}.json`);
}

export function loadVariant(name: string, dir = VARIANT_DIR): Transcript | null {
  const p = variantPath(name, dir);
  return fs.existsSync(p) ? (JSON.parse(fs.readFileSync(p, 'utf8')) as Transcript) : null;
}

/** The golden, or its variant when csi-chat deliberately diverges. */
export function transcriptFor(name: string, dirs: { golden?: string; variants?: string } = {}): { transcript: Transcript; variant: boolean } {
  const v = loadVariant(name, dirs.variants);
  return v ? { transcript: v, variant: true } : { transcript: loadGolden(name, dirs.golden), variant: false };
}

const canon = (s: Step) => {
  const { divergence: _d, ...rest } = s;
  return JSON.stringify(rest);
};

/**
 * Problems of one variant: every step marked with a divergence id refers to an entry of divergences.json
 * that lists this transcript; the variant differs from its golden only in marked steps (unmarked steps
 * are the golden's, in order; golden steps that are replaced or removed have a marked step in their place —
 * a step with only `divergence` (and `note`) stands for removed steps); at least one step is marked.
 */
export function validateVariant(golden: Transcript, variant: Transcript, divergences: Divergence[]): string[] {
  const problems: string[] = [];
  const where = `variants/${golden.name}.json`;
  if (variant.name !== golden.name) problems.push(`${where}: name ${JSON.stringify(variant.name)} is not ${JSON.stringify(golden.name)}`);
  if (!Array.isArray(variant.steps)) return [...problems, `${where}: no steps`];
  const byId = new Map(divergences.map((d) => [d.id, d]));
  let marked = 0;
  variant.steps.forEach((s, i) => {
    if (s.divergence === undefined) return;
    marked++;
    const d = byId.get(s.divergence);
    if (!d) problems.push(`${where} step ${i + 1}: divergence ${JSON.stringify(s.divergence)} is not in divergences.json`);
    else if (!d.transcripts.includes(golden.name))
      problems.push(`${where} step ${i + 1}: divergence ${JSON.stringify(s.divergence)} does not list ${golden.name} in its transcripts`);
  });
  if (!marked) problems.push(`${where}: no step carries a "divergence" id (a variant must mark what it changes)`);

  // Align golden and variant steps (longest common subsequence of identical steps).
  const g = golden.steps.map(canon);
  const v = variant.steps.map(canon);
  const lcs: number[][] = Array.from({ length: g.length + 1 }, () => new Array<number>(v.length + 1).fill(0));
  for (let i = g.length - 1; i >= 0; i--)
    for (let j = v.length - 1; j >= 0; j--) lcs[i][j] = g[i] === v[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  // Walk the alignment gap by gap: a gap is golden steps [gi..) and variant steps [vj..) between matches.
  let i = 0;
  let j = 0;
  let gapGolden: number[] = [];
  let gapVariant: number[] = [];
  const closeGap = () => {
    const unmarked = gapVariant.filter((k) => variant.steps[k].divergence === undefined);
    for (const k of unmarked) problems.push(`${where} step ${k + 1}: differs from the golden but carries no "divergence" id`);
    if (gapGolden.length && !gapVariant.some((k) => variant.steps[k].divergence !== undefined)) {
      problems.push(`${where}: golden step(s) ${gapGolden.map((k) => k + 1).join(', ')} removed without a divergence-marked step in their place`);
    }
    gapGolden = [];
    gapVariant = [];
  };
  while (i < g.length || j < v.length) {
    if (i < g.length && j < v.length && g[i] === v[j]) {
      closeGap();
      i++;
      j++;
    } else if (j < v.length && (i >= g.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      gapVariant.push(j++);
    } else {
      gapGolden.push(i++);
    }
  }
  closeGap();
  return problems;
}

/** Consistency of pending.json, divergences.json and the variants with the golden folder. */
export function validateSuite(
  opts: { goldenDir?: string; variantsDir?: string; pending?: Record<string, Pending>; divergences?: Divergence[] } = {},
): string[] {
  const names = new Set(goldenNames(opts.goldenDir));
  const pending = opts.pending ?? loadPending();
  const divergences = opts.divergences ?? loadDivergences();
  const problems: string[] = [];
  for (const [name, p] of Object.entries(pending)) {
    if (!names.has(name)) problems.push(`pending.json: ${name} is not a golden transcript`);
    if (!Number.isInteger(p.issue) || typeof p.reason !== 'string' || !p.reason)
      problems.push(`pending.json: ${name} needs {"issue": N, "reason": "..."}`);
  }
  const ids = new Set<string>();
  for (const d of divergences) {
    if (!d.id || ids.has(d.id)) problems.push(`divergences.json: id ${JSON.stringify(d.id)} missing or duplicated`);
    ids.add(d.id);
    if (!d.reason || !Number.isInteger(d.issue) || !Array.isArray(d.transcripts) || !d.transcripts.length)
      problems.push(`divergences.json: ${d.id} needs transcripts, reason and issue`);
    for (const t of d.transcripts ?? []) if (!names.has(t)) problems.push(`divergences.json: ${d.id} lists ${t}, which is not a golden transcript`);
  }
  const vdir = opts.variantsDir ?? VARIANT_DIR;
  if (fs.existsSync(vdir)) {
    for (const f of fs.readdirSync(vdir).filter((x) => x.endsWith('.json'))) {
      const name = f.slice(0, -5);
      if (!names.has(name)) {
        problems.push(`variants/${f}: no golden transcript ${name}`);
        continue;
      }
      let variant: Transcript;
      try {
        variant = JSON.parse(fs.readFileSync(path.join(vdir, f), 'utf8')) as Transcript;
      } catch (err) {
        problems.push(`variants/${f}: ${(err as Error).message}`);
        continue;
      }
      problems.push(...validateVariant(loadGolden(name, opts.goldenDir), variant, divergences));
    }
  }
  return problems;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A transcript that changes nothing on the server it runs against, so `--read-only` may replay it on a
 * live deployment (docs/swap.md): HTTP requests with safe methods only and no frame sent on a socket
 * (connecting and receiving are fine). contract-tests/readonly.test.ts shows, on a seeded server, that
 * the selection writes no row.
 */
export function isReadOnly(t: Transcript): boolean {
  return t.steps.every((s) => !s.ws_send && (!s.http || SAFE_METHODS.has(s.http.method.toUpperCase())));
}

/**
 * What to run. `only` selects by name (explicitly named pending transcripts are run too); otherwise all
 * goldens, pending ones included only with includePending (they are still flagged pending).
 */
export function selectTranscripts(
  opts: { only?: string[]; includePending?: boolean; readOnly?: boolean; goldenDir?: string; variantsDir?: string } = {},
): { run: Selected[]; skipped: Array<{ name: string; pending: Pending }>; unknown: string[]; notReadOnly: string[] } {
  const names = goldenNames(opts.goldenDir);
  const pending = loadPending();
  const unknown = (opts.only ?? []).filter((n) => !names.includes(n));
  const wanted = opts.only?.length ? names.filter((n) => opts.only!.includes(n)) : names;
  const run: Selected[] = [];
  const skipped: Array<{ name: string; pending: Pending }> = [];
  const notReadOnly: string[] = [];
  for (const name of wanted) {
    const p = pending[name];
    if (p && !opts.includePending && !opts.only?.length) {
      skipped.push({ name, pending: p });
      continue;
    }
    const { transcript, variant } = transcriptFor(name, { golden: opts.goldenDir, variants: opts.variantsDir });
    if (opts.readOnly && !isReadOnly(transcript)) {
      if (opts.only?.includes(name)) notReadOnly.push(name);
      continue;
    }
    run.push({ name, transcript, variant, pending: p });
  }
  return { run, skipped, unknown, notReadOnly };
}

/** Files that differ between two golden folders (recursive, byte comparison). */
export function compareFolders(a: string, b: string): string[] {
  const list = (root: string, rel = ''): string[] =>
    fs
      .readdirSync(path.join(root, rel), { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? list(root, path.join(rel, e.name)) : [path.join(rel, e.name)]));
  const fa = new Set(list(a));
  const fb = new Set(list(b));
  const out: string[] = [];
  for (const f of fa) if (!fb.has(f)) out.push(`${f}: only in ${a}`);
  for (const f of fb) if (!fa.has(f)) out.push(`${f}: only in ${b}`);
  for (const f of fa) if (fb.has(f) && !fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f)))) out.push(`${f}: differs`);
  return out.sort();
}
