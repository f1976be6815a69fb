// The project's shape, checked: no per-process state in module variables under src/ (it belongs in the
// application context), and no two folders of src/ that import each other at run time: the composition
// root (main, cli, app, bootstrap, urls, server/) on top, the Django apps below it, the shared layers
// (drf, db, auth, realtime, layers, storage) under them, configuration and the context type at the bottom.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { ROOT } from '../helpers/harness.ts';
// @ts-expect-error the lint config is plain JavaScript
import { MODULE_STATE } from '../../eslint.config.js';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const moduleStateLinter = () =>
  new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        linterOptions: { reportUnusedDisableDirectives: 'off' },
        languageOptions: { parser: tseslint.parser },
        rules: { 'no-restricted-syntax': ['error', ...MODULE_STATE] },
      },
    ],
  });

/** The composition root: what starts and assembles the process. It may import anything; nothing below
 * it may import it back. */
const COMPOSITION = new Set(['main.ts', 'cli.ts', 'app.ts', 'bootstrap.ts', 'urls.ts', 'server']);

/** The node of the folder graph a file belongs to: its folder of src/, '(composition)', or '(root)' for
 * the other files at src/ (configuration, context type, logging — shared by everything). */
function folderOf(file: string): string {
  const rel = path.relative(path.join(ROOT, 'src'), file).split(path.sep);
  if (COMPOSITION.has(rel[0])) return '(composition)';
  return rel.length > 1 ? rel[0] : '(root)';
}

/** Imports that exist at run time: not `import type`, not `import { type A, type B }`. */
function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?([^;]*?)\s+from\s+'(\.[^']+)';/gm)) {
    if (m[1]) continue;
    const names = m[2].trim();
    if (
      names.startsWith('{') &&
      names
        .slice(1, -1)
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
        .every((n) => n.startsWith('type '))
    )
      continue;
    out.push(path.resolve(path.dirname(file), m[3]));
  }
  for (const m of text.matchAll(/\bimport\('(\.[^']+)'\)/g)) out.push(path.resolve(path.dirname(file), m[1]));
  return out;
}

describe('project structure', () => {
  it('src/ keeps no per-process state in module variables (lint rule, with its allow-list)', async function () {
    this.timeout(60_000);
    const results = await moduleStateLinter().lintFiles(['src/**/*.ts']);
    const problems = results.flatMap((r) =>
      r.messages
        // eslint-disable comments are the allow-list; ESLint applies them, so what is left is a finding.
        .map((m) => `${path.relative(ROOT, r.filePath)}:${m.line} ${m.message}`),
    );
    expect(problems).to.deep.equal([]);
  });

  it('the lint rule catches module-level lets and caches, not constant tables', async () => {
    const lint = async (code: string) => (await moduleStateLinter().lintText(code, { filePath: path.join(ROOT, 'src/probe.ts') }))[0].messages.length;
    expect(await lint('let cache = null;\nexport const f = () => cache;\n')).to.equal(1);
    expect(await lint('export let count = 0;\n')).to.equal(1);
    expect(await lint('const seen = new WeakMap<object, string>();\nexport const f = () => seen;\n')).to.equal(1);
    expect(await lint('const byUser = new Map<number, string>();\nexport const f = () => byUser;\n')).to.equal(1);
    expect(await lint("const TABLE = new Map([['a', 1]]);\nexport const f = () => TABLE;\n")).to.equal(0);
    expect(await lint('export function f() { let n = 0; const m = new Map(); return [n++, m]; }\n')).to.equal(0);
    expect(await lint('export class A { private readonly m = new WeakMap<object, number>(); }\n')).to.equal(0);
  });

  it('no two folders of src/ import each other at run time', () => {
    const files = sourceFiles(path.join(ROOT, 'src'));
    const edges = new Map<string, Map<string, string>>();
    for (const file of files) {
      const from = folderOf(file);
      for (const target of runtimeImports(file)) {
        const to = folderOf(target);
        if (to === from) continue;
        if (!edges.has(from)) edges.set(from, new Map());
        edges.get(from)!.set(to, `${path.relative(ROOT, file)} -> ${path.relative(ROOT, target)}`);
      }
    }
    // Depth-first search for a cycle in the folder graph; report one with the imports that make it.
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const cycles: string[] = [];
    const visit = (n: string) => {
      state.set(n, 'open');
      stack.push(n);
      for (const [m, why] of edges.get(n) ?? []) {
        if (state.get(m) === 'open') {
          const loop = stack.slice(stack.indexOf(m)).concat(m);
          cycles.push(`${loop.join(' -> ')} (e.g. ${why})`);
        } else if (!state.has(m)) visit(m);
      }
      stack.pop();
      state.set(n, 'done');
    };
    for (const n of edges.keys()) if (!state.has(n)) visit(n);
    expect(cycles).to.deep.equal([]);
  });
});
