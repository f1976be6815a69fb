// Google ID tokens (student/google-login/): google-auth-library's OAuth2Client.verifyIdToken against
// the configured client ids (GOOGLE_CLIENT_IDS, GOOGLE_ANDROID_CLIENT_ID, GOOGLE_IOS_CLIENT_ID).
// Tests give a server its own client (e.g. one whose certificates come from a local key).
import { OAuth2Client, type TokenPayload } from 'google-auth-library';
import type { AppContext } from '../context.ts';

const clients = new WeakMap<AppContext, OAuth2Client>();
let shared: OAuth2Client | null = null;

/** Uses `client` to verify this server's Google tokens (tests: local certificates). */
export function setGoogleClient(ctx: AppContext, client: OAuth2Client): void {
  clients.set(ctx, client);
}

function clientFor(ctx: AppContext): OAuth2Client {
  return clients.get(ctx) ?? (shared ??= new OAuth2Client());
}

export class GoogleTokenError extends Error {}

/** Verifies signature, expiry, issuer and audience; the payload, or GoogleTokenError with the reason. */
export async function verifyGoogleIdToken(ctx: AppContext, idToken: string): Promise<TokenPayload> {
  const audience = ctx.config.googleClientIds;
  if (audience.length === 0) throw new GoogleTokenError('Google sign-in is not configured on this server.');
  try {
    const ticket = await clientFor(ctx).verifyIdToken({ idToken, audience });
    const payload = ticket.getPayload();
    if (!payload) throw new Error('Empty token payload.');
    return payload;
  } catch (err) {
    // The library's messages quote the whole token; keep the reason only.
    const message = (err instanceof Error ? err.message : String(err)).split(idToken).join('<token>');
    if (/Failed to retrieve verification certificates/.test(message)) {
      ctx.log.error({ err }, 'Google certificates could not be fetched');
    }
    throw new GoogleTokenError(message.length > 300 ? message.slice(0, 300) + '…' : message);
  }
}
