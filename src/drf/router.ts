// Django-style URL resolution: `<int:room_id>` / `<str:x>` / `<slug:x>` patterns matched in order, then
// CommonMiddleware's APPEND_SLASH (301 to the slashed path when only that resolves), else Django's
// HTML 404 page.
import type { Request, Response } from 'express';
import type { AppContext } from '../context.ts';
import { NOT_FOUND_HTML } from './errors.ts';
import { sendHtml, type ApiViewFn } from './api.ts';

interface Route {
  regex: RegExp;
  names: string[];
  view: ApiViewFn;
  pattern: string;
}

const CONVERTERS: Record<string, string> = {
  int: '[0-9]+',
  str: '[^/]+',
  slug: '[-a-zA-Z0-9_]+',
  path: '.+',
};

export class UrlRouter {
  private readonly routes: Route[] = [];

  /** `pattern` as in Django's path(): no leading slash, e.g. "api/chat/groups/<int:room_id>/messages/". */
  add(pattern: string, view: ApiViewFn): this {
    const names: string[] = [];
    const source = pattern.replace(/<(?:(\w+):)?(\w+)>|[.*+?^${}()|[\]\\]/g, (m, conv: string | undefined, name: string | undefined) => {
      if (!name) return '\\' + m;
      names.push(name);
      const re = CONVERTERS[conv ?? 'str'];
      if (!re) throw new Error(`unknown path converter ${conv} in ${pattern}`);
      return `(${re})`;
    });
    this.routes.push({ regex: new RegExp(`^/${source}$`), names, view, pattern });
    return this;
  }

  resolve(path: string): { view: ApiViewFn; params: Record<string, string> } | null {
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => (params[n] = m[i + 1]));
      return { view: route.view, params };
    }
    return null;
  }

  patterns(): string[] {
    return this.routes.map((r) => r.pattern);
  }

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
