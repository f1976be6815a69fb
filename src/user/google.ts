// Google ID tokens (student/google-login/): google-auth-library's OAuth2Client.verifyIdToken against
// the configured client ids (GOOGLE_CLIENT_IDS, GOOGLE_ANDROID_CLIENT_ID, GOOGLE_IOS_CLIENT_ID).
// One verifier per process (a service of the application context): the client caches Google's
// certificates. Tests give a server a client whose certificates come from a local key.
import { OAuth2Client, type TokenPayload } from 'google-auth-library';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';

export class GoogleTokenError extends Error {}

export class GoogleIdTokenVerifier {
  constructor(
    private readonly config: Pick<Config, 'googleClientIds'>,
    private readonly log: Logger,
    /** Replaceable by tests (certificates from a local key). */
    public client: OAuth2Client = new OAuth2Client(),
  ) {}

  /** Verifies signature, expiry, issuer and audience; the payload, or GoogleTokenError with the reason. */
  async verify(idToken: string): Promise<TokenPayload> {
    const audience = this.config.googleClientIds;
    if (audience.length === 0) throw new GoogleTokenError('Google sign-in is not configured on this server.');
    try {
      const ticket = await this.client.verifyIdToken({ idToken, audience });
      const payload = ticket.getPayload();
      if (!payload) throw new Error('Empty token payload.');
      return payload;
    } catch (err) {
      // The library's messages quote the whole token; keep the reason only.
      const message = (err instanceof Error ? err.message : String(err)).split(idToken).join('<token>');
      if (/Failed to retrieve verification certificates/.test(message)) {
        this.log.error({ err }, 'Google certificates could not be fetched');
      }
      throw new GoogleTokenError(message.length > 300 ? message.slice(0, 300) + '…' : message);
    }
  }
}
