// DRF's SessionAuthentication, listed before TokenAuthentication in the original's REST_FRAMEWORK:
// a `sessionid` cookie of an active user authenticates the request, and then unsafe methods must pass
// Django's CSRF check, else 403 {"detail": "CSRF Failed: <reason>"} (docs/django-admin-notes.md).
// Requests without the cookie (the app's token requests) cost one header test.
import type { Request } from 'express';
import type { AppContext } from '../context.ts';
import { permissionDenied } from './errors.ts';
import { csrfRejection } from '../auth/csrf.ts';
import { csrfRequest, requestCookies } from '../auth/requestInfo.ts';
import { authenticateSession, deletedSessionCookie, SESSION_COOKIE_NAME } from '../auth/sessions.ts';
import type { UserRow } from '../auth/tokens.ts';

export interface SessionAuthResult {
  /** The session's user, or null when the cookie gave none (token authentication is tried next). */
  user: UserRow | null;
  /** Set-Cookie that SessionMiddleware would add (a cookie naming no session is deleted). */
  setCookie: string | null;
}

const NONE: SessionAuthResult = { user: null, setCookie: null };

/**
 * `formField` reads a text field of a form or multipart body (request.POST); it is called only for a
 * POST of a session-authenticated user, so token requests never have their body read here.
 */
export async function sessionAuthentication(
  ctx: AppContext,
  req: Request,
  formField: (name: string) => Promise<string | undefined>,
): Promise<SessionAuthResult> {
  if (!req.headers.cookie) return NONE;
  const cookies = requestCookies(req);
  const key = cookies.get(SESSION_COOKIE_NAME);
  if (key === undefined) return NONE;
  const auth = await authenticateSession(ctx.db.knex, ctx.config.secretKey, key);
  if (auth.kind === 'missing' || auth.kind === 'flushed') return { user: null, setCookie: deletedSessionCookie() };
  if (auth.kind !== 'user') return NONE;
  const reason = await csrfRejection(csrfRequest(req, ctx.config, cookies, () => formField('csrfmiddlewaretoken')));
  if (reason) throw permissionDenied(`CSRF Failed: ${reason}`);
  return { user: auth.user, setCookie: null };
}
