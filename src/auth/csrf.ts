// Django 5.1's CsrfViewMiddleware (django/middleware/csrf.py), with its exact rejection reasons:
// the `csrftoken` cookie holds a 32-character secret, forms carry it masked (64 characters) as
// `csrfmiddlewaretoken`, scripts send it in `X-CSRFToken`; unsafe methods need a matching token, an
// Origin header that matches the host (or CSRF_TRUSTED_ORIGINS), and on HTTPS without Origin a
// same-host Referer (docs/django-admin-notes.md "The REST API accepts the same session").
import crypto from 'node:crypto';

export const CSRF_COOKIE_NAME = 'csrftoken';
/** CSRF_COOKIE_AGE: one year (52 weeks). */
const CSRF_COOKIE_AGE = 31449600;
/** CSRF_HEADER_NAME = "HTTP_X_CSRFTOKEN", which Django names "X-Csrftoken" in its messages. */
export const CSRF_HEADER = 'x-csrftoken';
const SECRET_LENGTH = 32;
const TOKEN_LENGTH = 64;
/** string.ascii_letters + string.digits, in that order (the masking arithmetic depends on it). */
const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const INVALID_CHARS = /[^a-zA-Z0-9]/;

const REASON_NO_CSRF_COOKIE = 'CSRF cookie not set.';
const REASON_CSRF_TOKEN_MISSING = 'CSRF token missing.';
const REASON_NO_REFERER = 'Referer checking failed - no Referer.';
const REASON_MALFORMED_REFERER = 'Referer checking failed - Referer is malformed.';
const REASON_INSECURE_REFERER = 'Referer checking failed - Referer is insecure while host is secure.';
const reasonBadOrigin = (origin: string) => `Origin checking failed - ${origin} does not match any trusted origins.`;
const reasonBadReferer = (referer: string) => `Referer checking failed - ${referer} does not match any trusted origins.`;

function randomChars(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += CHARS[crypto.randomInt(CHARS.length)];
  return out;
}

/** _get_new_csrf_string() */
export function newCsrfSecret(): string {
  return randomChars(SECRET_LENGTH);
}

/** _mask_cipher_secret(): a fresh mask per page, so the token never repeats (BREACH). */
export function maskSecret(secret: string): string {
  const mask = randomChars(SECRET_LENGTH);
  let cipher = '';
  for (let i = 0; i < SECRET_LENGTH; i++) cipher += CHARS[(CHARS.indexOf(secret[i]) + CHARS.indexOf(mask[i])) % CHARS.length];
  return mask + cipher;
}

/** _unmask_cipher_token() (Python's negative indexing wraps around). */
export function unmaskToken(token: string): string {
  const mask = token.slice(0, SECRET_LENGTH);
  const cipher = token.slice(SECRET_LENGTH);
  let out = '';
  for (let i = 0; i < SECRET_LENGTH; i++) {
    out += CHARS[(CHARS.indexOf(cipher[i]) - CHARS.indexOf(mask[i]) + CHARS.length) % CHARS.length];
  }
  return out;
}

/** _check_token_format(): the reason text, or null when the format is right. */
function tokenFormatProblem(token: string): string | null {
  if (token.length !== TOKEN_LENGTH && token.length !== SECRET_LENGTH) return 'has incorrect length';
  if (INVALID_CHARS.test(token)) return 'has invalid characters';
  return null;
}

function constantTimeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && crypto.timingSafeEqual(ba, bb);
}

/** _does_token_match() for a token of the right format. */
export function tokenMatches(token: string, secret: string): boolean {
  const plain = token.length === TOKEN_LENGTH ? unmaskToken(token) : token;
  return constantTimeEqual(plain, secret);
}

export type CookieSecret = { secret: string | null; problem: string | null };

/** _get_secret(): the cookie's secret (unmasked when an old Django stored it masked). */
export function secretFromCookie(value: string | undefined): CookieSecret {
  if (value === undefined) return { secret: null, problem: null };
  const problem = tokenFormatProblem(value);
  if (problem) return { secret: null, problem };
  return { secret: value.length === TOKEN_LENGTH ? unmaskToken(value) : value, problem: null };
}

/** The request facts the check reads. */
export interface CsrfRequest {
  method: string;
  cookie: string | undefined;
  header: string | undefined;
  /** request.POST["csrfmiddlewaretoken"] (POST only; form bodies only). */
  postToken: () => Promise<string | undefined>;
  origin: string | undefined;
  referer: string | undefined;
  /** request.is_secure() */
  secure: boolean;
  /** request.get_host(), or null when ALLOWED_HOSTS refuses it (DisallowedHost). */
  host: string | null;
  trustedOrigins: readonly string[];
}

/** django.utils.http.is_same_domain */
export function isSameDomain(host: string, pattern: string): boolean {
  if (!pattern) return false;
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  return (p.startsWith('.') && (h.endsWith(p) || h === p.slice(1))) || h === p;
}

function originVerified(req: CsrfRequest): boolean {
  const origin = req.origin!;
  if (req.host !== null && origin === `${req.secure ? 'https' : 'http'}://${req.host}`) return true;
  if (req.trustedOrigins.some((o) => !o.includes('*') && o === origin)) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  const scheme = parsed.protocol.slice(0, -1);
  return req.trustedOrigins.some((o) => {
    if (!o.includes('*')) return false;
    const m = /^([a-z][a-z0-9+.-]*):\/\/\*(.*)$/i.exec(o);
    return !!m && m[1].toLowerCase() === scheme && isSameDomain(parsed.host, m[2]);
  });
}

function refererProblem(req: CsrfRequest): string | null {
  if (req.referer === undefined) return REASON_NO_REFERER;
  let url: URL;
  try {
    url = new URL(req.referer);
  } catch {
    return REASON_MALFORMED_REFERER;
  }
  if (!url.protocol || !url.host) return REASON_MALFORMED_REFERER;
  if (url.protocol !== 'https:') return REASON_INSECURE_REFERER;
  const trustedHosts = req.trustedOrigins.map((o) => {
    try {
      return new URL(o.replace('://*', '://wildcard')).host.replace(/^wildcard/, '');
    } catch {
      return '';
    }
  });
  if (trustedHosts.some((h) => isSameDomain(url.host, h))) return null;
  if (req.host === null || !isSameDomain(url.host, req.host)) return reasonBadReferer(req.referer);
  return null;
}

function badTokenMessage(reason: string, source: 'POST' | 'header'): string {
  return `CSRF token from ${source === 'POST' ? 'POST' : "the 'X-Csrftoken' HTTP header"} ${reason}.`;
}

/** CsrfViewMiddleware.process_view: null to accept, else the rejection reason. */
export async function csrfRejection(req: CsrfRequest): Promise<string | null> {
  if (['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(req.method)) return null;
  if (req.origin !== undefined) {
    if (!originVerified(req)) return reasonBadOrigin(req.origin);
  } else if (req.secure) {
    const problem = refererProblem(req);
    if (problem) return problem;
  }
  const { secret, problem } = secretFromCookie(req.cookie);
  if (problem) return `CSRF cookie ${problem}.`;
  if (secret === null) return REASON_NO_CSRF_COOKIE;
  let token = '';
  let source: 'POST' | 'header' = 'POST';
  if (req.method === 'POST') token = (await req.postToken()) ?? '';
  if (token === '') {
    if (req.header === undefined) return REASON_CSRF_TOKEN_MISSING;
    token = req.header;
    source = 'header';
  }
  const format = tokenFormatProblem(token);
  if (format) return badTokenMessage(format, source);
  if (!tokenMatches(token, secret)) return badTokenMessage('incorrect', source);
  return null;
}

/** The csrftoken cookie as CsrfViewMiddleware._set_csrf_cookie writes it. */
export function csrfCookie(secret: string, secure: boolean, now = Date.now()): string {
  const expires = new Date(now + CSRF_COOKIE_AGE * 1000).toUTCString();
  return `${CSRF_COOKIE_NAME}=${secret}; expires=${expires}; Max-Age=${CSRF_COOKIE_AGE}; Path=/; SameSite=Lax${secure ? '; Secure' : ''}`;
}
