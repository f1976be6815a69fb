// Mounts the admin at /admin without loading it: AdminJS (and React on the server) are imported on
// the first /admin request only, so start-up time, idle memory and the chat paths do not pay for it.
import type { NextFunction, Request, Response } from 'express';
import type { AppContext } from '../context.ts';

export function adminHandler(ctx: AppContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // CommonMiddleware's APPEND_SLASH for the bare prefix.
    if (req.originalUrl === '/admin' || req.originalUrl.startsWith('/admin?')) {
      res.redirect(301, '/admin/' + req.originalUrl.slice('/admin'.length));
      return;
    }
    const site = (ctx.admin.site ??= import('./site.ts').then((m) => m.buildAdminSite(ctx)));
    site.then(
      (handle) => handle(req, res, next),
      (err: unknown) => {
        // Let the next request try again (e.g. once `npm run build:admin` has run).
        ctx.admin.site = null;
        ctx.log.error({ err }, 'admin site unavailable');
        res
          .status(503)
          .type('text/plain; charset=utf-8')
          .send(`The admin site is unavailable: ${(err as Error).message}\n`);
      },
    );
  };
}
