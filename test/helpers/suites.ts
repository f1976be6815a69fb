// How suites are declared. describeServer(): a suite run once per backend against its own server,
// started before the suite, reset to the seed before each test and closed after it, with the fake
// Cloudinary, an SMTP server, a temporary MEDIA_ROOT or the shared Redis when asked for.
// describeNeeding(): a suite that needs a service which is absent is pending, with the reason in its
// title (decided when the suite is defined); in CI (CI=true) it fails instead.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildOptions } from '../../src/bootstrap.ts';
import { backends, isCI, startServer, type Backend, type TestServer } from './harness.ts';
import { startFakeCloudinary, type FakeCloudinary } from './fakeCloudinary.ts';
import { TestSmtp } from './smtp.ts';

/** Checks a service a suite needs: null when it is there, else why it is not. */
export type ServiceCheck = () => string | null;

export const redisMissing: ServiceCheck = () => (process.env.REDIS_URL ? null : 'REDIS_URL is not set');
export const postgresMissing: ServiceCheck = () => (process.env.DATABASE_URL ? null : 'DATABASE_URL is not set');

/** The shared Redis, in a suite declared as needing it (redisMissing). With `db`, the same server's
 * database of that index: for suites whose processes may die without cleaning up (SIGKILL leaves their
 * presence and group keys to expire), so later suites on the shared index see none of it. */
export function redisUrl(db?: number): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: declare the suite with describeNeeding(…, [redisMissing], …)');
  if (db === undefined) return url;
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** describe(), or — when a needed service is absent — a pending suite titled "<title> — pending: <why>";
 * in CI the suite runs and fails in its first hook instead. */
export function describeNeeding(title: string, needs: readonly ServiceCheck[], fn: (this: Mocha.Suite) => void): void {
  let reason: string | null = null;
  for (const check of needs) {
    reason = check();
    if (reason) break;
  }
  if (!reason) {
    describe(title, fn);
  } else if (isCI) {
    const why = reason;
    describe(title, function () {
      before(() => {
        throw new Error(`${why}: in CI (CI=true) this suite must run, not be skipped`);
      });
      fn.call(this);
    });
  } else {
    describe.skip(`${title} — pending: ${reason}`, fn);
  }
}

export interface ServerSuiteOptions {
  /** Mocha timeout of the suite, in ms. */
  timeout?: number;
  /** Settings of the server, over the test defaults and the services' settings below. */
  env?: Record<string, string>;
  /** Parts of the application context to inject (e.g. a recording push sender). */
  build?: BuildOptions;
  /** A fake Cloudinary Upload API the server's SDK points at; its records are cleared before each test. */
  cloudinary?: boolean;
  /** An SMTP server the server mails to; its mails are cleared before each test. */
  smtp?: boolean;
  /** A temporary MEDIA_ROOT (local-disk storage), removed after the suite. */
  mediaRoot?: boolean;
  /** The shared Redis (REDIS_URL) as the channel layer; the suite is pending without it. */
  redis?: boolean;
  /** Other services the suite needs (see describeNeeding). */
  needs?: readonly ServiceCheck[];
  /** Reset the database to the seed and clear the services' records before each test (default true). */
  resetEachTest?: boolean;
  /** One backend only, the title kept as given; by default the suite runs on every backend as "<title> [<backend>]". */
  backend?: Backend;
}

export interface ServerSuite {
  backend: Backend;
  /** With `cloudinary: true`. */
  cloudinary: FakeCloudinary;
  /** With `smtp: true`. */
  smtp: TestSmtp;
  /** With `mediaRoot: true`. */
  readonly mediaRoot: string;
}

type SuiteBody = (srv: TestServer, suite: ServerSuite) => void;

/**
 * A suite against its own server, once per backend (PGlite, plus Postgres when DATABASE_URL is set).
 * `srv` (and `suite.cloudinary`) stand for objects made in the suite's before() hook: use them inside
 * hooks and tests. The body's own hooks run after the server started and the reset, and its after()
 * hooks before the server closes.
 */
export function describeServer(title: string, body: SuiteBody): void;
export function describeServer(title: string, options: ServerSuiteOptions, body: SuiteBody): void;
export function describeServer(title: string, optionsOrBody: ServerSuiteOptions | SuiteBody, maybeBody?: SuiteBody): void {
  const opts = typeof optionsOrBody === 'function' ? {} : optionsOrBody;
  const body = typeof optionsOrBody === 'function' ? optionsOrBody : maybeBody!;
  const needs = [...(opts.redis ? [redisMissing] : []), ...(opts.needs ?? [])];
  const runs: Array<[Backend, string]> = opts.backend ? [[opts.backend, title]] : backends().map((b) => [b, `${title} [${b}]`]);
  for (const [backend, name] of runs) {
    describeNeeding(name, needs, function () {
      if (opts.timeout) this.timeout(opts.timeout);
      const server = lateBound<TestServer>(`the server of "${name}"`);
      const cloudinary = lateBound<FakeCloudinary>(`the fake Cloudinary of "${name}" (cloudinary: true)`);
      const smtp = lateBound<TestSmtp>(`the SMTP server of "${name}" (smtp: true)`);
      if (opts.smtp) smtp.set(new TestSmtp());
      let smtpStarted = false;
      let mediaRoot: string | null = null;

      before(async () => {
        const env: Record<string, string> = {};
        if (opts.cloudinary) {
          const fake = await startFakeCloudinary();
          cloudinary.set(fake);
          Object.assign(env, fake.env());
        }
        if (opts.smtp) {
          await smtp.handle.start();
          smtpStarted = true;
          Object.assign(env, smtp.handle.env());
        }
        if (opts.mediaRoot) {
          mediaRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'csi-media-'));
          env.MEDIA_ROOT = mediaRoot;
        }
        if (opts.redis) env.REDIS_URL = redisUrl();
        server.set(await startServer(backend, { env: { ...env, ...opts.env }, build: opts.build }));
      });

      if (opts.resetEachTest !== false) {
        beforeEach(async () => {
          await server.handle.reset();
          const fake = cloudinary.get();
          if (fake) {
            fake.uploads.length = 0;
            fake.destroyed.length = 0;
          }
          smtp.get()?.clear();
        });
      }

      body(server.handle, {
        backend,
        cloudinary: cloudinary.handle,
        smtp: smtp.handle,
        get mediaRoot() {
          if (!mediaRoot) throw new Error(`"${name}" has no MEDIA_ROOT (mediaRoot: true) or it is not made yet`);
          return mediaRoot;
        },
      });

      // Registered after the body's hooks, so the body's after() hooks run while the server is still up.
      after(async () => {
        await server.get()?.close();
        server.set(undefined);
        await cloudinary.get()?.close();
        cloudinary.set(undefined);
        if (smtpStarted) await smtp.handle.stop();
        if (mediaRoot) fs.rmSync(mediaRoot, { recursive: true, force: true });
      });
    });
  }
}

/** A stand-in for an object made later (in a before() hook): property reads and writes go to the object
 * once it is set, and fail with a clear message before. */
function lateBound<T extends object>(what: string): { handle: T; get(): T | undefined; set(value: T | undefined): void } {
  let current: T | undefined;
  const target = (): T => {
    if (!current) throw new Error(`${what} is not available here: it exists between the suite's before() and after() hooks`);
    return current;
  };
  const handle = new Proxy({} as T, {
    get(_, key) {
      const t = target();
      const value: unknown = Reflect.get(t, key, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
    set: (_, key, value) => Reflect.set(target(), key, value),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor(_, key) {
      const d = Reflect.getOwnPropertyDescriptor(target(), key);
      return d && { ...d, configurable: true };
    },
  });
  return { handle, get: () => current, set: (value) => (current = value) };
}
