// Django 5.1's URLValidator (the validator of DRF's URLField), on Python 3.11.2's urllib.parse.urlsplit
// (the recorded original's interpreter): the same regex, checks and order. Python's `\s` and
// re.IGNORECASE are spelled out (Python's [a-z] under IGNORECASE also matches ı, İ, ſ and the Kelvin
// sign), and the regex runs in unicode mode so that, as in Python, an astral character is one character.
//
// Cost: the length bound (2048) comes first; the regex is anchored, its host labels are separated by
// dots and bounded to 63 characters, so a failed match backtracks at most linearly.
import { pyLen, PY_WHITESPACE_CLASS } from '../../python/builtins.ts';
import { isIPv6WithScope, isValidIPv6 } from './ip.ts';
import { IdnaError, pythonIdna } from './idna.ts';

const UL = '\\u00a1-\\uffff';
// [a-z] under Python's re.IGNORECASE.
const AZ = 'a-zA-Z\\u0130\\u0131\\u017f\\u212a';
const IPV4_RE = '(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)(?:\\.(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)){3}';
const IPV6_RE = '\\[[0-9a-fA-F:.]+\\]';
const HOSTNAME_RE = `[${AZ}${UL}0-9](?:[${AZ}${UL}0-9-]{0,61}[${AZ}${UL}0-9])?`;
const DOMAIN_RE = `(?:\\.(?!-)[${AZ}${UL}0-9-]{1,63}(?<!-))*`;
const TLD_RE = `\\.(?!-)(?:[${AZ}${UL}-]{2,63}|[xX][nN]--[${AZ}0-9]{1,59})(?<!-)\\.?`;
const HOST_RE = `(?:${HOSTNAME_RE}${DOMAIN_RE}${TLD_RE}|[lL][oO][cC][aA][lL][hH][oO][sS\\u017f][tT])`;
const S = PY_WHITESPACE_CLASS;

const URL_REGEX = new RegExp(
  `^(?:[${AZ}0-9.+-]*)://` + // scheme is validated separately
    `(?:[^${S}:@/]+(?::[^${S}:@/]*)?@)?` + // user:pass authentication
    `(?:${IPV4_RE}|${IPV6_RE}|${HOST_RE})` +
    '(?::[0-9]{1,5})?' + // port
    `(?:[/?#][^${S}]*)?` + // resource path
    '$',
  'u',
);

const URL_SCHEMES = ['http', 'https', 'ftp', 'ftps'] as const;
const URL_MAX_LENGTH = 2048;
const UNSAFE = /[\t\r\n]/;

/** The parts of urlsplit(value) the validator uses; null where urlsplit raises ValueError. */
function splitNetloc(value: string): { scheme: string; netloc: string; rest: string } | null {
  const colon = value.indexOf(':');
  const scheme = value.slice(0, colon).toLowerCase();
  const afterScheme = value.slice(colon + 1);
  if (!afterScheme.startsWith('//')) return { scheme, netloc: '', rest: afterScheme };
  let end = afterScheme.length;
  for (const c of '/?#') {
    const i = afterScheme.indexOf(c, 2);
    if (i >= 0 && i < end) end = i;
  }
  const netloc = afterScheme.slice(2, end);
  if (netloc.includes('[') !== netloc.includes(']')) return null; // "Invalid IPv6 URL"
  if (netloc.includes('[') && !bracketedHostParses(netloc)) return null;
  if (!netlocSurvivesNfkc(netloc)) return null;
  return { scheme, netloc, rest: afterScheme.slice(end) };
}

/**
 * urllib.parse._check_bracketed_host (in CPython 3.11.4+ and Debian's patched 3.11.2): the text between
 * the first [ and the next ] must be an IPv6 address (a scope allowed) or an IPvFuture literal.
 */
function bracketedHostParses(netloc: string): boolean {
  const after = netloc.slice(netloc.indexOf('[') + 1);
  const close = after.indexOf(']');
  const host = close >= 0 ? after.slice(0, close) : after;
  if (host.startsWith('v')) return /^v[a-fA-F0-9]+\.[^\n]+$/.test(host);
  return isIPv6WithScope(host);
}

/** urllib.parse._checknetloc: a netloc whose NFKC form gains one of / ? # @ : is refused. */
function netlocSurvivesNfkc(netloc: string): boolean {
  if (!netloc || /^[\x00-\x7f]*$/.test(netloc)) return true;
  const n = netloc.replace(/[@:#?]/g, '');
  const normalized = n.normalize('NFKC');
  if (n === normalized) return true;
  return !/[/?#@:]/.test(normalized);
}

/** SplitResult.hostname: the host of the netloc, lower-cased, or null. */
function hostnameOf(netloc: string): string | null {
  const hostinfo = netloc.slice(netloc.lastIndexOf('@') + 1);
  const open = hostinfo.indexOf('[');
  let host: string;
  if (open >= 0) {
    const bracketed = hostinfo.slice(open + 1);
    const close = bracketed.indexOf(']');
    host = close >= 0 ? bracketed.slice(0, close) : bracketed;
  } else {
    const c = hostinfo.indexOf(':');
    host = c >= 0 ? hostinfo.slice(0, c) : hostinfo;
  }
  if (!host) return null;
  const pct = host.indexOf('%');
  return pct >= 0 ? host.slice(0, pct).toLowerCase() + host.slice(pct) : host.toLowerCase();
}

/** The rest of the URL after the netloc as urlunsplit() writes it back (an empty ? or # is dropped). */
function unsplitRest(rest: string): string {
  let path = rest;
  let fragment = '';
  let query = '';
  const hash = path.indexOf('#');
  if (hash >= 0) {
    fragment = path.slice(hash + 1);
    path = path.slice(0, hash);
  }
  const q = path.indexOf('?');
  if (q >= 0) {
    query = path.slice(q + 1);
    path = path.slice(0, q);
  }
  return path + (query ? '?' + query : '') + (fragment ? '#' + fragment : '');
}

/** URLValidator()(value) passes. */
export function isValidUrl(value: string): boolean {
  if (pyLen(value) > URL_MAX_LENGTH) return false;
  if (UNSAFE.test(value)) return false;
  const sep = value.indexOf('://');
  const scheme = (sep >= 0 ? value.slice(0, sep) : value).toLowerCase();
  if (!(URL_SCHEMES as readonly string[]).includes(scheme)) return false;
  const split = splitNetloc(value);
  if (!split) return false;
  if (URL_REGEX.test(value)) {
    // Now verify IPv6 in the netloc part.
    const host = /^\[([^]+)\](?::[0-9]{1,5})?$/.exec(split.netloc);
    if (host && !isValidIPv6(host[1]!)) return false;
  } else {
    // Trivial case failed. Try for possible IDN domain.
    let ace: string;
    try {
      ace = pythonIdna(split.netloc);
    } catch (err) {
      if (err instanceof IdnaError) return false;
      throw err;
    }
    if (!URL_REGEX.test(`${split.scheme}://${ace}${unsplitRest(split.rest)}`)) return false;
  }
  const hostname = hostnameOf(split.netloc);
  return hostname !== null && pyLen(hostname) <= 253;
}
