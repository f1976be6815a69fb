// The handshake's Origin allow-list (WS_ALLOWED_ORIGINS, issue 13 #10): Channels' OriginValidator
// (channels/security/websocket.py) — `*`; `scheme://host[:port]` (same scheme, host and port, the port
// defaulting by scheme); or a host alone (`example.org`, `.example.org` for it and its subdomains: Django's
// ALLOWED_HOSTS patterns, any scheme and port). One divergence: a handshake without an Origin header is
// let through, because the Android app sends none (docs/kotlin-client-contract.md §3.1: OkHttp's default
// headers only) — browsers always send one, and the check exists to stop other sites' pages from using
// a visitor's token; any other client can write whatever Origin it likes anyway.
import { isSameDomain } from '../auth/csrf.ts';

interface Split {
  scheme: string;
  netloc: string;
}

const SCHEME = /^[a-z][a-z0-9+.-]*$/i;

/** urllib.parse.urlsplit's scheme and netloc. */
function urlsplit(url: string): Split {
  let scheme = '';
  let rest = url;
  const colon = url.indexOf(':');
  if (colon > 0 && SCHEME.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon).toLowerCase();
    rest = url.slice(colon + 1);
  }
  if (!rest.startsWith('//')) return { scheme, netloc: '' };
  const end = rest.slice(2).search(/[/?#]/);
  return { scheme, netloc: end < 0 ? rest.slice(2) : rest.slice(2, 2 + end) };
}

/** SplitResult.hostname: the netloc's host, lower case, without user info, brackets or port; null if none. */
function hostname(netloc: string): string | null {
  const host = netloc.slice(netloc.lastIndexOf('@') + 1);
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    return close > 0 ? host.slice(1, close).toLowerCase() : null;
  }
  const h = host.split(':')[0];
  return h ? h.toLowerCase() : null;
}

/** SplitResult.port: the port number, null when none, 'invalid' where Python raises ValueError. */
function port(netloc: string): number | null | 'invalid' {
  const host = netloc.slice(netloc.lastIndexOf('@') + 1);
  const afterHost = host.startsWith('[') ? host.slice(host.indexOf(']') + 1) : host;
  const colon = afterHost.indexOf(':');
  if (colon < 0) return null;
  const digits = afterHost.slice(colon + 1);
  if (digits === '') return null;
  if (!/^\d+$/.test(digits)) return 'invalid';
  const n = Number(digits);
  return n <= 65535 ? n : 'invalid';
}

/** OriginValidator.get_origin_port: the explicit port, else the scheme's default, else null. */
function portOrDefault(s: Split): number | null | 'invalid' {
  const p = port(s.netloc);
  if (p !== null) return p;
  if (s.scheme === 'http' || s.scheme === 'ws') return 80;
  if (s.scheme === 'https' || s.scheme === 'wss') return 443;
  return null;
}

/** OriginValidator.match_allowed_origin. */
function matches(origin: Split, pattern: string): boolean {
  const host = hostname(origin.netloc);
  if (host === null) return false;
  const p = urlsplit(pattern.toLowerCase());
  if (!p.scheme) {
    const patternHost = hostname(urlsplit('//' + pattern).netloc) ?? pattern;
    return isSameDomain(host, patternHost);
  }
  const originPort = portOrDefault(origin);
  const patternHost = hostname(p.netloc);
  return (
    originPort !== 'invalid' &&
    p.scheme === origin.scheme &&
    originPort === portOrDefault(p) &&
    patternHost !== null &&
    isSameDomain(host, patternHost)
  );
}

/**
 * Whether a handshake with this Origin header may go on: every Origin when `allowed` is null (the setting
 * unset, as the original without OriginValidator) or holds `*`; no Origin at all always (see above).
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[] | null): boolean {
  if (allowed === null || origin === undefined) return true;
  const parsed = urlsplit(origin);
  return allowed.some((pattern) => pattern === '*' || matches(parsed, pattern));
}
