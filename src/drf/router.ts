// Django-style URL resolution: `<int:room_id>` / `<str:x>` / `<slug:x>` patterns matched in order, then
// CommonMiddleware's APPEND_SLASH (301 to the slashed path when only that resolves), else Django's
// HTML 404 page.
import type { Request, Response } from 'express';
import type { AppContext } from '../context.ts';
import { NOT_FOUND_HTML } from './errors.ts';
import { sendHtml, type ApiViewFn } from './api.ts';

/** include(): a list of patterns mounted under a route prefix (Django's `include('Chat.urls')`). */
class Included<V> {
  constructor(readonly patterns: readonly UrlPattern<V>[]) {}
}

/** One entry of a urlpatterns list: a route and its view, or a route prefix and included patterns. */
export type UrlPattern<V> = { route: string; view: V } | { route: string; include: readonly UrlPattern<V>[] };

/** Django's path(): `route` has no leading slash, e.g. "groups/<int:room_id>/messages/". */
export function path<V>(route: string, target: V | Included<V>): UrlPattern<V> {
  return target instanceof Included ? { route, include: target.patterns } : { route, view: target };
}

export function include<V>(patterns: readonly UrlPattern<V>[]): Included<V> {
  return new Included(patterns);
}

/** Every (full route, view) of a urlpatterns list, in resolution order. */
export function flattenPatterns<V>(patterns: readonly UrlPattern<V>[], prefix = ''): Array<{ route: string; view: V }> {
  return patterns.flatMap((p) => ('include' in p ? flattenPatterns(p.include, prefix + p.route) : [{ route: prefix + p.route, view: p.view }]));
}

const CONVERTERS: Record<string, string> = {
  int: '[0-9]+',
  str: '[^/]+',
  slug: '[-a-zA-Z0-9_]+',
  path: '.+',
};

interface CompiledRoute<V> {
  regex: RegExp;
  names: string[];
  view: V;
  route: string;
}

/** A route's regex as Django's RoutePattern builds it (converters `int`, `str`, `slug`, `path`). */
function compileRoute<V>(route: string, view: V, leadingSlash: string): CompiledRoute<V> {
  const names: string[] = [];
  const source = route.replace(/<(?:(\w+):)?(\w+)>|[.*+?^${}()|[\]\\]/g, (m, conv: string | undefined, name: string | undefined) => {
    if (!name) return '\\' + m;
    names.push(name);
    const re = CONVERTERS[conv ?? 'str'];
    if (!re) throw new Error(`unknown path converter ${conv} in ${route}`);
    return `(${re})`;
  });
  return { regex: new RegExp(`^${leadingSlash}${source}$`), names, view, route };
}

/** Django's URL resolver: the first pattern that matches the whole path, with its captured parameters. */
export class UrlResolver<V> {
  private readonly routes: CompiledRoute<V>[];

  /** `leadingSlash`: the regex for the path's leading slash ('/+' for Channels' URLRouter, which lstrips). */
  constructor(patterns: readonly UrlPattern<V>[], leadingSlash = '/') {
    this.routes = flattenPatterns(patterns).map((p) => compileRoute(p.route, p.view, leadingSlash));
  }

  resolve(path: string): { view: V; params: Record<string, string>; route: string } | null {
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => (params[n] = m[i + 1]));
      return { view: route.view, params, route: route.route };
    }
    return null;
  }

  /** Every full route, e.g. "api/chat/groups/<int:room_id>/messages/". */
  patterns(): string[] {
    return this.routes.map((r) => r.route);
  }
}

/** The REST side: resolution, APPEND_SLASH and Django's HTML 404, as express middleware. */
export class UrlRouter extends UrlResolver<ApiViewFn> {
  /** Express middleware serving every route, APPEND_SLASH and the HTML 404. */
  handler(ctx: AppContext) {
    return (req: Request, res: Response, next: () => void) => {
      const q = req.originalUrl.indexOf('?');
      const rawPath = q < 0 ? req.originalUrl : req.originalUrl.slice(0, q);
      let path: string;
      try {
        path = decodeURIComponent(rawPath);
      } catch {
        path = rawPath;
      }
      const found = this.resolve(path);
      if (found) {
        found.view(ctx, req, res, found.params).catch((err: unknown) => {
          ctx.log.error({ err }, 'view failed');
          if (!res.headersSent) res.status(500).end();
        });
        return;
      }
      if (!path.endsWith('/') && this.resolve(path + '/')) {
        const query = q < 0 ? '' : req.originalUrl.slice(q);
        res.status(301);
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.setHeader('Location', (rawPath + '/').replace(/^\/\//, '/%2F') + query);
        res.setHeader('Vary', 'Cookie');
        res.end();
        return;
      }
      if (next && ctx.config.mediaRoot && path.startsWith('/media/')) return next();
      sendHtml(res, 404, NOT_FOUND_HTML);
    };
  }
}
