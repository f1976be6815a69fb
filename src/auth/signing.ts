// django.core.signing and django.utils.crypto.salted_hmac, so that values Django signs (the
// django_session rows, docs/django-admin-notes.md "Log-in, recorded") verify here and the other way
// round with the same SECRET_KEY: `TimestampSigner(salt=…).sign_object(obj, JSONSerializer,
// compress=True)` = [.]base64url(json[, zlib]) ":" base62(unix time) ":" base64url(HMAC-SHA256).
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { pythonString } from '../python/json.ts';

const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** A signed value longer than this is refused before any work (a session row is a few hundred bytes). */
const MAX_SIGNED_LENGTH = 64 * 1024;
/** zlib output bound: the payloads csi-chat signs are small; a bigger one is treated as a bad signature. */
const MAX_DECOMPRESSED_BYTES = 256 * 1024;

export class BadSignature extends Error {}

function b64Encode(data: Buffer): string {
  return data.toString('base64url');
}

function b64Decode(text: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new BadSignature('invalid base64');
  return Buffer.from(text, 'base64url');
}

export function b62Encode(n: number): string {
  if (n === 0) return '0';
  const sign = n < 0 ? '-' : '';
  let s = Math.abs(Math.trunc(n));
  let out = '';
  while (s > 0) {
    out = BASE62_ALPHABET[s % 62] + out;
    s = Math.floor(s / 62);
  }
  return sign + out;
}

export function b62Decode(text: string): number {
  if (text === '0') return 0;
  let sign = 1;
  let s = text;
  if (s.startsWith('-')) {
    sign = -1;
    s = s.slice(1);
  }
  if (!s || s.length > 12) throw new BadSignature('invalid timestamp');
  let n = 0;
  for (const ch of s) {
    const d = BASE62_ALPHABET.indexOf(ch);
    if (d < 0) throw new BadSignature('invalid timestamp');
    n = n * 62 + d;
  }
  return sign * n;
}

/** salted_hmac(key_salt, value, secret, algorithm='sha256'): HMAC keyed by sha256(key_salt + secret). */
export function saltedHmac(keySalt: string, value: string | Buffer, secret: string): Buffer {
  const key = crypto
    .createHash('sha256')
    .update(Buffer.from(keySalt + secret, 'utf8'))
    .digest();
  return crypto
    .createHmac('sha256', key)
    .update(typeof value === 'string' ? Buffer.from(value, 'utf8') : value)
    .digest();
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ba.length !== bb.length) {
    crypto.timingSafeEqual(ba, ba);
    return false;
  }
  return crypto.timingSafeEqual(ba, bb);
}

/** JSONSerializer.dumps: json.dumps(obj, separators=(",", ":")) (ASCII-only, as ensure_ascii writes it). */
function compactPythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return pythonString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('Out of range float values are not JSON compliant');
      return Number.isInteger(value) ? String(value) : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (Array.isArray(value)) return '[' + value.map(compactPythonJson).join(',') + ']';
      return (
        '{' +
        Object.entries(value as Record<string, unknown>)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => pythonString(k) + ':' + compactPythonJson(v))
          .join(',') +
        '}'
      );
    default:
      throw new TypeError(`Object of type ${typeof value} is not JSON serializable`);
  }
}

export class TimestampSigner {
  constructor(
    private readonly key: string,
    private readonly salt: string,
    private readonly fallbackKeys: readonly string[] = [],
  ) {}

  signature(value: string, key = this.key): string {
    return b64Encode(saltedHmac(this.salt + 'signer', value, key));
  }

  /** Signer.sign after TimestampSigner appends ":" + base62(now). */
  sign(value: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
    const stamped = `${value}:${b62Encode(nowSeconds)}`;
    return `${stamped}:${this.signature(stamped)}`;
  }

  /** The value and its timestamp; BadSignature for a wrong or missing signature, or an expired one. */
  unsign(signed: string, maxAgeSeconds: number | null = null): { value: string; timestamp: number } {
    if (signed.length > MAX_SIGNED_LENGTH) throw new BadSignature('signed value too long');
    const sep = signed.lastIndexOf(':');
    if (sep < 0) throw new BadSignature('No ":" found in value');
    const stamped = signed.slice(0, sep);
    const sig = signed.slice(sep + 1);
    if (![this.key, ...this.fallbackKeys].some((k) => constantTimeEqual(sig, this.signature(stamped, k)))) {
      throw new BadSignature(`Signature "${sig}" does not match`);
    }
    const tsSep = stamped.lastIndexOf(':');
    if (tsSep < 0) throw new BadSignature('No ":" found in value');
    const timestamp = b62Decode(stamped.slice(tsSep + 1));
    if (maxAgeSeconds !== null && Date.now() / 1000 - timestamp > maxAgeSeconds) throw new BadSignature('Signature age exceeds max_age');
    return { value: stamped.slice(0, tsSep), timestamp };
  }

  /** sign_object(obj, JSONSerializer, compress): zlib only when it saves more than one byte. */
  signObject(obj: unknown, compress: boolean, nowSeconds?: number): string {
    let data = Buffer.from(compactPythonJson(obj), 'latin1');
    let compressed = false;
    if (compress) {
      const z = zlib.deflateSync(data);
      if (z.length < data.length - 1) {
        data = z;
        compressed = true;
      }
    }
    return this.sign((compressed ? '.' : '') + b64Encode(data), nowSeconds);
  }

  unsignObject(signed: string, maxAgeSeconds: number | null = null): unknown {
    let base64d = this.unsign(signed, maxAgeSeconds).value;
    const decompress = base64d.startsWith('.');
    if (decompress) base64d = base64d.slice(1);
    let data = b64Decode(base64d);
    if (decompress) {
      try {
        data = zlib.inflateSync(data, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
      } catch {
        throw new BadSignature('undecodable payload');
      }
    }
    try {
      return JSON.parse(data.toString('latin1')) as unknown;
    } catch {
      throw new BadSignature('undecodable payload');
    }
  }
}

/** django.core.signing.dumps */

/** django.core.signing.loads (BadSignature on any failure). */
export function loads(
  signed: string,
  secret: string,
  salt: string,
  maxAgeSeconds: number | null = null,
  fallbackKeys: readonly string[] = [],
): unknown {
  return new TimestampSigner(secret, salt, fallbackKeys).unsignObject(signed, maxAgeSeconds);
}
