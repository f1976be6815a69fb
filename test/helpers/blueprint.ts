// Checks of the deployment files that need no platform and no Docker engine: render.yaml against
// src/config.ts (the env names it reads) and package.json (the scripts), and the Dockerfile's shape.
import fs from 'node:fs';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { ConfigError, ENV_NAMES, PRODUCTION_ENV_NAMES, loadConfig, type EnvName } from '../../src/config.ts';
import { READINESS_PATH } from '../../src/server/readiness.ts';
import { ROOT } from './harness.ts';

/** Variables whose value is a credential: only ever `sync: false` (or wired from another resource). */
const SECRET_ENV_NAMES: EnvName[] = [
  'SECRET_KEY',
  'CLOUDINARY_API_KEY',
  'CLOUDINARY_API_SECRET',
  'EMAIL_HOST_PASSWORD',
  'FIREBASE_CREDENTIALS',
  'FIREBASE_CREDENTIALS_JSON',
  'METRICS_TOKEN',
  'DATABASE_URL',
  'REDIS_URL',
];

/** Stand-ins for values the platform fills in, so that loadConfig() can check the literal ones. */
const PLACEHOLDERS: Partial<Record<EnvName, string>> = {
  DATABASE_URL: 'postgres://user:password@db.internal:5432/csi',
  REDIS_URL: 'redis://red.internal:6379',
  CLOUDINARY_CLOUD_NAME: 'cloud',
  CLOUDINARY_API_KEY: 'key',
  CLOUDINARY_API_SECRET: 'secret',
};

const SOURCES = ['value', 'sync', 'fromDatabase', 'fromService', 'generateValue', 'fromGroup'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface PackageJson {
  scripts: Record<string, string>;
}

export function readPackageJson(): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
}

/** Where `npm run build` puts src/main.ts, from tsconfig.build.json. */
export function builtEntry(): string {
  const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
    compilerOptions: { rootDir: string; outDir: string };
  };
  const { rootDir, outDir } = tsconfig.compilerOptions;
  return path.posix.join(outDir, path.posix.relative(rootDir, 'src/main.ts')).replace(/\.ts$/, '.js');
}

/** Every problem of a render.yaml text (empty = valid). */
export function blueprintProblems(text: string, pkg: PackageJson = readPackageJson()): string[] {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (err) {
    return [`not valid YAML: ${(err as Error).message.split('\n')[0]}`];
  }
  if (!isObj(doc) || !Array.isArray(doc.services)) return ['no services: list'];
  const services = doc.services.filter(isObj);
  const databases = Array.isArray(doc.databases) ? doc.databases.filter(isObj) : [];
  const webs = services.filter((s) => s.type === 'web');
  if (webs.length !== 1) return [`expected one web service, found ${webs.length}`];
  const web = webs[0];

  if (web.runtime !== 'node') problems.push(`runtime must be node, got ${JSON.stringify(web.runtime)}`);
  if (web.autoDeploy !== false) problems.push('autoDeploy must be false (deploys are started by hand, docs/swap.md)');
  if (web.healthCheckPath !== READINESS_PATH) problems.push(`healthCheckPath must be ${READINESS_PATH}, got ${JSON.stringify(web.healthCheckPath)}`);
  const entry = builtEntry();
  if (web.startCommand !== `node ${entry}`)
    problems.push(`startCommand must be "node ${entry}" (node itself receives SIGTERM), got ${JSON.stringify(web.startCommand)}`);
  const build = typeof web.buildCommand === 'string' ? web.buildCommand : '';
  if (!/\bnpm ci\b/.test(build)) problems.push('buildCommand must install with npm ci');
  const runs = [...build.matchAll(/\bnpm run ([\w:-]+)/g)].map((m) => m[1]);
  if (!runs.includes('build')) problems.push('buildCommand must run npm run build');
  for (const script of runs) if (!pkg.scripts[script]) problems.push(`buildCommand runs "${script}", which package.json does not define`);

  const env = web.envVars;
  if (!Array.isArray(env)) return [...problems, 'envVars must be a list'];
  const literal: Record<string, string> = {};
  const seen = new Set<string>();
  env.forEach((entry, i) => {
    if (!isObj(entry)) return problems.push(`envVars[${i}] is not a mapping`);
    const key = entry.key;
    if (typeof key !== 'string') return problems.push(`envVars[${i}] has no key`);
    if (seen.has(key)) problems.push(`${key} is set twice`);
    seen.add(key);
    if (!(ENV_NAMES as string[]).includes(key)) problems.push(`${key} is not a variable the server reads (src/config.ts)`);
    const sources = SOURCES.filter((s) => entry[s] !== undefined);
    if (sources.length !== 1) return problems.push(`${key} needs exactly one of ${SOURCES.join(', ')}; has ${sources.join(', ') || 'none'}`);
    const source = sources[0];
    if (source === 'sync' && entry.sync !== false) problems.push(`${key}: sync may only be false`);
    if (source === 'value') {
      if (typeof entry.value !== 'string') problems.push(`${key}: value must be a quoted string, got ${JSON.stringify(entry.value)}`);
      else literal[key] = entry.value;
      if ((SECRET_ENV_NAMES as string[]).includes(key)) problems.push(`${key} is a secret: use sync: false, never a value in the repository`);
    }
    if (source === 'generateValue' && key === 'SECRET_KEY')
      problems.push("SECRET_KEY must be the Django service's (sessions, tokens): sync: false, not generated");
    if (source === 'fromDatabase') {
      const ref = entry.fromDatabase;
      if (!isObj(ref) || ref.property !== 'connectionString' || !databases.some((d) => d.name === ref.name)) {
        problems.push(`${key}: fromDatabase must name a database of databases: with property connectionString`);
      }
    }
    if (source === 'fromService') {
      const ref = entry.fromService;
      if (!isObj(ref) || ref.property !== 'connectionString' || !services.some((s) => s.name === ref.name && s.type === ref.type)) {
        problems.push(`${key}: fromService must name a service of services: (same type) with property connectionString`);
      }
    }
  });
  for (const name of PRODUCTION_ENV_NAMES) if (!seen.has(name)) problems.push(`${name} is required in production but not set`);

  // The literal values must be valid for the server (with stand-ins for the values set elsewhere).
  try {
    const config = loadConfig({ ...PLACEHOLDERS, ...literal });
    const maxDelay = typeof web.maxShutdownDelaySeconds === 'number' ? web.maxShutdownDelaySeconds : 30;
    if (config.shutdownGraceMs >= maxDelay * 1000) {
      problems.push(`SHUTDOWN_GRACE_MS (${config.shutdownGraceMs}) must stay below maxShutdownDelaySeconds (${maxDelay} s)`);
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(`invalid value: ${err.message}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

export interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Dockerfile instructions (comments dropped, `\` continuations joined), grouped by stage. */
export function dockerStages(text: string): Instruction[][] {
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    if (!pending) start = i + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\w+)\s+([\s\S]*)$/.exec(full);
    if (m) instructions.push({ op: m[1].toUpperCase(), args: m[2].trim(), line: start });
  });
  const stages: Instruction[][] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') stages.push([]);
    if (stages.length) stages[stages.length - 1].push(ins);
  }
  return stages;
}

/** True when .dockerignore (its text) leaves `file` (a path relative to the build context) out of the
 * context: the last pattern matching the path or one of its parent directories decides, `!` patterns
 * put a path back (Docker's rules, with `*`, `?` and `**`). */
export function dockerIgnored(ignore: string, file: string): boolean {
  const parts = file.replace(/^\.\//, '').replace(/\/$/, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of ignore.split('\n')) {
    let pattern = raw.trim();
    if (!pattern || pattern.startsWith('#')) continue;
    const negated = pattern.startsWith('!');
    if (negated) pattern = pattern.slice(1).trim();
    pattern = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
    const re = new RegExp(
      `^${pattern
        .split(/(\*\*|\*|\?)/)
        .map((t) => (t === '**' ? '.*' : t === '*' ? '[^/]*' : t === '?' ? '[^/]' : t.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('')}$`,
    );
    if (prefixes.some((p) => re.test(p))) ignored = !negated;
  }
  return ignored;
}

/** The sources of a COPY from the build context (none for COPY --from=<stage>). */
function contextSources(ins: Instruction): string[] {
  const words = ins.args.split(/\s+/);
  if (words.some((w) => w.startsWith('--from='))) return [];
  const paths = words.filter((w) => !w.startsWith('--'));
  return paths.slice(0, -1);
}

/** Every problem of a Dockerfile text (empty = valid); with `dockerignore` (its text), also every COPY
 * source that the build context leaves out (the build would fail: "not found"). */
export function dockerfileProblems(text: string, nodeMajor: string, dockerignore?: string): string[] {
  const problems: string[] = [];
  const stages = dockerStages(text);
  if (stages.length < 2) return [`multi-stage build expected, found ${stages.length} stage(s)`];
  if (dockerignore !== undefined) {
    for (const ins of stages.flat().filter((i) => i.op === 'COPY' || i.op === 'ADD')) {
      for (const src of contextSources(ins)) {
        if (dockerIgnored(dockerignore, src)) problems.push(`line ${ins.line}: ${ins.op} ${src}: .dockerignore leaves it out of the build context`);
      }
    }
  }
  // The root package's install scripts (postinstall: the admin bundle from scripts/ and src/) run on
  // `npm ci`/`npm install` without --ignore-scripts and on a bare `npm rebuild`: in a stage that has not
  // copied what they need, unless the stage deleted them from package.json first.
  const rootScripts = ['preinstall', 'install', 'postinstall', 'prepare'].filter((k) => readPackageJson().scripts[k]);
  if (rootScripts.length) {
    stages.forEach((stage) => {
      const copied = new Set<string>();
      let deleted = false;
      for (const ins of stage) {
        if (ins.op === 'COPY') for (const src of contextSources(ins)) copied.add(src.replace(/^\.\//, '').replace(/\/$/, ''));
        if (ins.op !== 'RUN') continue;
        for (const cmd of ins.args.split(/&&|;/).map((c) => c.trim())) {
          if (/^npm pkg delete\b/.test(cmd) && rootScripts.every((k) => cmd.includes(`scripts.${k}`))) deleted = true;
          const runsRoot = (/^npm (ci|install|i)\b/.test(cmd) && !/--ignore-scripts\b/.test(cmd)) || /^npm rebuild\s*(--\S+\s*)*$/.test(cmd);
          if (runsRoot && !deleted && !(copied.has('src') && copied.has('scripts')))
            problems.push(
              `line ${ins.line}: "${cmd}" runs package.json's ${rootScripts.join(', ')}, which needs scripts/ and src/ (not copied in this stage yet)`,
            );
        }
      }
    });
  }
  const final = stages[stages.length - 1];
  const all = stages.flat();
  for (const ins of all.filter((i) => i.op === 'FROM')) {
    if (!new RegExp(`^node:${nodeMajor}(\\.|-|$)`).test(ins.args.split(/\s+/)[0]))
      problems.push(`line ${ins.line}: base image must be node:${nodeMajor} (.node-version), got ${ins.args}`);
  }
  const finalRuns = final.filter((i) => i.op === 'RUN').map((i) => i.args);
  if (!finalRuns.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))) problems.push('the final stage must install with npm ci --omit=dev');
  if (finalRuns.some((r) => /\bnpm (ci|install)\b(?!.*--omit=dev)/.test(r))) problems.push('the final stage installs dev dependencies');
  if (!final.some((i) => i.op === 'COPY' && /--from=\S+\s+\S*dist\b/.test(i.args)))
    problems.push('the final stage must copy dist/ from the build stage');
  if (!final.some((i) => i.op === 'COPY' && /^db\s/.test(i.args)))
    problems.push('the final stage must copy db/ (schema, migrations list, demo data)');
  const users = final.filter((i) => i.op === 'USER');
  const user = users[users.length - 1]?.args;
  if (!user || /^(root|0)(:|$)/.test(user)) problems.push('the final stage must switch to a non-root USER');
  const cmds = final.filter((i) => i.op === 'CMD' || i.op === 'ENTRYPOINT');
  const entry = builtEntry();
  if (final.some((i) => i.op === 'ENTRYPOINT')) problems.push('no ENTRYPOINT: CMD runs node directly as PID 1');
  const cmd = cmds[cmds.length - 1];
  let argv: unknown;
  try {
    argv = cmd ? JSON.parse(cmd.args) : null;
  } catch {
    argv = null;
  }
  if (!Array.isArray(argv) || argv[0] !== 'node' || argv[argv.length - 1] !== entry || argv.some((a) => /npm|tsx/.test(String(a)))) {
    problems.push(`CMD must be the exec form ["node", "${entry}"] (node as PID 1, receiving SIGTERM), got ${cmd?.args ?? 'none'}`);
  }
  const stop = final.find((i) => i.op === 'STOPSIGNAL');
  if (stop && stop.args !== 'SIGTERM') problems.push(`STOPSIGNAL must be SIGTERM (what the server drains on), got ${stop.args}`);
  const health = final.find((i) => i.op === 'HEALTHCHECK');
  if (!health || !health.args.includes(READINESS_PATH)) problems.push(`HEALTHCHECK must probe ${READINESS_PATH}`);
  return problems;
}
