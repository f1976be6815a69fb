// Django's ALLOWED_HOSTS check (HttpRequest.get_host(), called by CommonMiddleware on every request): a
// Host header that is malformed or not allowed is a DisallowedHost, answered with the 400 page before
// any view runs. `*` allows every host (csi-chat's default, as with ALLOWED_HOSTS=* in the original's
// environment); set the deployment's host names in production so a forged Host is never echoed into
// absolute URLs such as pagination links.
import type { Request, Response, NextFunction } from 'express';
import { BAD_REQUEST_HTML } from './errors.ts';
import { sendHtml } from './api.ts';

/** django.http.request.host_validation_re: a domain, or a bracketed IPv6 literal, then an optional port. */
const HOST_RE = /^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:[0-9]+)?$/;

/** split_domain_port(): the lowercased domain without a trailing dot, or '' when the host is malformed. */
export function splitDomain(host: string): string {
  const h = host.toLowerCase();
  if (h.length > 1024 || !HOST_RE.test(h)) return '';
  if (h.endsWith(']')) return h;
  const colon = h.lastIndexOf(':');
  const domain = colon < 0 ? h : h.slice(0, colon);
  return domain.endsWith('.') ? domain.slice(0, -1) : domain;
}

/** validate_host(): `*`, an exact name, or `.example.com` for the domain and its subdomains. */
export function isAllowedHost(domain: string, allowed: readonly string[]): boolean {
  return allowed.some((raw) => {
    if (raw === '*') return true;
    if (!raw) return false;
    const pattern = raw.toLowerCase();
    return (pattern.startsWith('.') && (domain.endsWith(pattern) || domain === pattern.slice(1))) || pattern === domain;
  });
}

/** get_host()'s list: with DEBUG and an empty ALLOWED_HOSTS, Django allows the local names. */
export function effectiveAllowedHosts(allowed: readonly string[], debug: boolean): readonly string[] {
  return debug && allowed.length === 0 ? ['.localhost', '127.0.0.1', '[::1]'] : allowed;
}

/** Express middleware: 400 (Django's page) for a Host that is malformed or not allowed. */
export function allowedHostsMiddleware(allowed: readonly string[], debug: boolean) {
  const hosts = effectiveAllowedHosts(allowed, debug);
  if (hosts.includes('*')) return (_req: Request, _res: Response, next: NextFunction) => next();
  return (req: Request, res: Response, next: NextFunction) => {
    // No Host header: Django falls back to SERVER_NAME, the address the request came in on.
    const host = req.headers.host ?? req.socket.localAddress ?? '';
    const domain = splitDomain(host);
    if (domain && isAllowedHost(domain, hosts)) return next();
    sendHtml(res, 400, BAD_REQUEST_HTML);
  };
}
