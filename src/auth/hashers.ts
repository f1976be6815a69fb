// Django's password hashers (django.contrib.auth.hashers, Django 5.1 defaults), so users keep the
// passwords they have. Verification re-encodes with the stored parameters and compares the whole
// encoded strings in constant time, like Django. PBKDF2 and scrypt run on libuv's threadpool.
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import argon2 from 'argon2';

const pbkdf2 = promisify(crypto.pbkdf2);
const scryptAsync = promisify(crypto.scrypt) as (
  password: crypto.BinaryLike,
  salt: crypto.BinaryLike,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

/** Django 5.1's PBKDF2PasswordHasher.iterations. */
export const PBKDF2_ITERATIONS = 870000;
const SALT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** ceil(128 / log2(62)): the salt length Django uses for 128 bits of entropy. */
const SALT_LENGTH = 22;
const SALT_ENTROPY_BITS = 128;
const SCRYPT = { N: 16384, r: 8, p: 1, dklen: 64 };
const BCRYPT_ROUNDS = 12;
const ARGON2 = { timeCost: 2, memoryCost: 102400, parallelism: 8 };

export function randomString(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += SALT_CHARS[crypto.randomInt(SALT_CHARS.length)];
  return out;
}

function makeSalt(): string {
  return randomString(SALT_LENGTH);
}

function constantTimeEquals(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ba.length !== bb.length) {
    crypto.timingSafeEqual(ba, ba);
    return false;
  }
  return crypto.timingSafeEqual(ba, bb);
}

function saltTooWeak(salt: string): boolean {
  return salt.length * Math.log2(SALT_CHARS.length) < SALT_ENTROPY_BITS;
}

async function encodePbkdf2(algorithm: 'pbkdf2_sha256' | 'pbkdf2_sha1', password: string, salt: string, iterations: number) {
  const digest = algorithm === 'pbkdf2_sha256' ? 'sha256' : 'sha1';
  const dklen = digest === 'sha256' ? 32 : 20;
  const hash = await pbkdf2(Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), iterations, dklen, digest);
  return `${algorithm}$${iterations}$${salt}$${hash.toString('base64')}`;
}

export async function makePassword(password: string, salt: string = makeSalt(), iterations = PBKDF2_ITERATIONS): Promise<string> {
  if (!salt || salt.includes('$')) throw new Error('salt must be non-empty and contain no "$"');
  return encodePbkdf2('pbkdf2_sha256', password, salt, iterations);
}

/** Django's make_password(None): an unusable password. */
export function makeUnusablePassword(): string {
  return '!' + randomString(40);
}

interface Hasher {
  algorithm: string;
  verify(password: string, encoded: string): Promise<boolean>;
  mustUpdate(encoded: string): boolean;
  /** Work to equalise timing for a wrong password on an outdated hash (Django's harden_runtime). */
  hardenRuntime?(password: string, encoded: string): Promise<void>;
}

const pbkdf2Hasher = (algorithm: 'pbkdf2_sha256' | 'pbkdf2_sha1'): Hasher => ({
  algorithm,
  async verify(password, encoded) {
    const [, iterations, salt] = encoded.split('$');
    if (!/^\d+$/.test(iterations ?? '') || !salt) return false;
    const n = Number(iterations);
    if (n < 1) return false;
    return constantTimeEquals(await encodePbkdf2(algorithm, password, salt, n), encoded);
  },
  mustUpdate(encoded) {
    const [, iterations, salt] = encoded.split('$');
    return Number(iterations) !== PBKDF2_ITERATIONS || saltTooWeak(salt ?? '');
  },
  async hardenRuntime(password, encoded) {
    const [, iterations, salt] = encoded.split('$');
    const extra = PBKDF2_ITERATIONS - Number(iterations);
    if (extra > 0 && salt) await encodePbkdf2(algorithm, password, salt, extra);
  },
});

const scryptHasher: Hasher = {
  algorithm: 'scrypt',
  async verify(password, encoded) {
    const parts = encoded.split('$');
    if (parts.length !== 6) return false;
    const [, nStr, salt, rStr, pStr, hashB64] = parts;
    const N = Number(nStr),
      r = Number(rStr),
      p = Number(pStr);
    if (![N, r, p].every((x) => Number.isInteger(x) && x > 0)) return false;
    const dklen = Buffer.from(hashB64, 'base64').length || SCRYPT.dklen;
    const hash = await scryptAsync(Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), dklen, {
      N,
      r,
      p,
      maxmem: 128 * N * r * p * 2,
    });
    return constantTimeEquals(`scrypt$${N}$${salt}$${r}$${p}$${hash.toString('base64')}`, encoded);
  },
  mustUpdate(encoded) {
    const [, n, salt, r, p] = encoded.split('$');
    return Number(n) !== SCRYPT.N || Number(r) !== SCRYPT.r || Number(p) !== SCRYPT.p || saltTooWeak(salt ?? '');
  },
};

function bcryptHasher(algorithm: 'bcrypt' | 'bcrypt_sha256'): Hasher {
  const prepare = (password: string) =>
    algorithm === 'bcrypt_sha256' ? crypto.createHash('sha256').update(password, 'utf8').digest('hex') : password;
  return {
    algorithm,
    async verify(password, encoded) {
      const data = encoded.slice(algorithm.length + 1);
      if (!/^\$2[abxy]?\$\d\d\$.{53}$/.test(data)) return false;
      const rehashed = await bcrypt.hash(prepare(password), data.slice(0, 29));
      return constantTimeEquals(rehashed, data);
    },
    mustUpdate(encoded) {
      const rounds = Number(encoded.slice(algorithm.length + 1).split('$')[2]);
      return rounds !== BCRYPT_ROUNDS;
    },
    async hardenRuntime(password, encoded) {
      const data = encoded.slice(algorithm.length + 1);
      const rounds = Number(data.split('$')[2]);
      const extra = 2 ** Math.max(0, BCRYPT_ROUNDS - rounds) - 1;
      for (let i = 0; i < extra; i++) await bcrypt.hash(prepare(password), data.slice(0, 29));
    },
  };
}

const argon2Hasher: Hasher = {
  algorithm: 'argon2',
  async verify(password, encoded) {
    const phc = encoded.slice('argon2'.length);
    try {
      return await argon2.verify(phc, password);
    } catch {
      return false;
    }
  },
  mustUpdate(encoded) {
    const m = /^argon2\$argon2(id|i|d)\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([^$]*)\$/.exec(encoded);
    if (!m) return true;
    const saltLen = Buffer.from(m[6], 'base64').length;
    return (
      m[1] !== 'id' ||
      Number(m[2]) !== 19 ||
      Number(m[3]) !== ARGON2.memoryCost ||
      Number(m[4]) !== ARGON2.timeCost ||
      Number(m[5]) !== ARGON2.parallelism ||
      saltLen * 8 < SALT_ENTROPY_BITS
    );
  },
};

const md5Hasher: Hasher = {
  algorithm: 'md5',
  async verify(password, encoded) {
    const [, salt] = encoded.split('$');
    if (!salt) return false;
    const hash = crypto
      .createHash('md5')
      .update(salt + password, 'utf8')
      .digest('hex');
    return constantTimeEquals(`md5$${salt}$${hash}`, encoded);
  },
  mustUpdate(encoded) {
    return saltTooWeak(encoded.split('$')[1] ?? '');
  },
};

/** Django 5.1 installs these (PASSWORD_HASHERS default) plus MD5 (still shipped, used in tests). */
const HASHERS = new Map<string, Hasher>(
  [
    pbkdf2Hasher('pbkdf2_sha256'),
    pbkdf2Hasher('pbkdf2_sha1'),
    argon2Hasher,
    bcryptHasher('bcrypt_sha256'),
    bcryptHasher('bcrypt'),
    scryptHasher,
    md5Hasher,
  ].map((h) => [h.algorithm, h]),
);

/** Django's identify_hasher: the algorithm name, including the unsalted legacy shapes (removed in 5.1). */
export function identifyAlgorithm(encoded: string): string | null {
  if (!encoded) return null;
  if ((encoded.length === 32 && !encoded.includes('$')) || (encoded.length === 37 && encoded.startsWith('md5$$'))) return 'unsalted_md5';
  if (encoded.length === 46 && encoded.startsWith('sha1$$')) return 'unsalted_sha1';
  const idx = encoded.indexOf('$');
  return idx > 0 ? encoded.slice(0, idx) : null;
}

export interface VerifyResult {
  ok: boolean;
  /** True when Django's check_password would call its setter: correct and outdated. */
  mustUpdate: boolean;
}

/**
 * Django 5.1 verify_password: unusable, unknown or uninstalled hashes (sha1, unsalted_*, crypt were
 * removed in 5.1) are refused after the same work a real check costs.
 */
export async function verifyPassword(password: string | null | undefined, encoded: string | null): Promise<VerifyResult> {
  const hasher = encoded && !encoded.startsWith('!') ? HASHERS.get(identifyAlgorithm(encoded) ?? '') : undefined;
  if (typeof password !== 'string' || !encoded || !hasher) {
    await makePassword(randomString(40));
    return { ok: false, mustUpdate: false };
  }
  const mustUpdate = hasher.algorithm !== 'pbkdf2_sha256' || hasher.mustUpdate(encoded);
  const ok = await hasher.verify(password, encoded);
  if (!ok && mustUpdate && hasher.hardenRuntime) await hasher.hardenRuntime(password, encoded);
  return { ok, mustUpdate: ok && mustUpdate };
}
