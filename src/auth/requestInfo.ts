// The HttpRequest facts sessions and CSRF depend on: is_secure() (X-Forwarded-Proto behind
// TRUST_PROXY, as SECURE_PROXY_SSL_HEADER), get_host() checked against ALLOWED_HOSTS, and the cookies.
import type { Request } from 'express';
import type { Config } from '../config.ts';
import { CSRF_COOKIE_NAME, CSRF_HEADER, type CsrfRequest } from './csrf.ts';
import { isSameDomain } from './csrf.ts';
import { parseCookies } from './sessions.ts';

export function isSecureRequest(req: Request, config: Pick<Config, 'trustProxy'>): boolean {
  if (config.trustProxy) {
    const fp = req.headers['x-forwarded-proto'];
    if (typeof fp === 'string') return fp.split(',')[0].trim() === 'https';
  }
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

/** request.get_host(): the host (with port) when ALLOWED_HOSTS accepts it, else null (DisallowedHost). */
function requestHost(req: Request, config: Pick<Config, 'trustProxy' | 'allowedHosts'>): string | null {
  let host = req.headers.host ?? '';
  if (config.trustProxy) {
    const fh = req.headers['x-forwarded-host'];
    if (typeof fh === 'string' && fh) host = fh.split(',')[0].trim();
  }
  // validate_host(): the domain part (port and a trailing dot removed) against each pattern.
  const m = /^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::(\d+))?$/.exec(host.toLowerCase());
  if (!m) return null;
  const domain = m[1].endsWith('.') ? m[1].slice(0, -1) : m[1];
  const ok = config.allowedHosts.some((p) => p === '*' || isSameDomain(domain, p.toLowerCase()));
  return ok ? host : null;
}

export function requestCookies(req: Request): Map<string, string> {
  return parseCookies(req.headers.cookie);
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** What csrfRejection() reads of a request; `postToken` reads csrfmiddlewaretoken from a form body. */
export function csrfRequest(
  req: Request,
  config: Pick<Config, 'trustProxy' | 'allowedHosts' | 'csrfTrustedOrigins'>,
  cookies: Map<string, string>,
  postToken: () => Promise<string | undefined>,
): CsrfRequest {
  return {
    method: req.method,
    cookie: cookies.get(CSRF_COOKIE_NAME),
    header: header(req, CSRF_HEADER),
    postToken,
    origin: header(req, 'origin'),
    referer: header(req, 'referer'),
    secure: isSecureRequest(req, config),
    host: requestHost(req, config),
    trustedOrigins: config.csrfTrustedOrigins,
  };
}
