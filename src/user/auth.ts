// POST /api/user/login/ (CustomLoginView, an ObtainAuthToken) and POST /api/user/logout/.
import { apiView, asObject } from '../drf/api.ts';
import { authenticationFailed } from '../drf/errors.ts';
import { makePassword, verifyPassword } from '../auth/hashers.ts';
import { getOrCreateToken, TOKEN_TABLE, type UserRow } from '../auth/tokens.ts';
import { setPasswordHash, userByEmail } from './queries.ts';
import type { Knex } from 'knex';

/** Profile fields the login response lists when empty, in the original's order. */
const PROFILE_FIELDS = ['photo', 'branch', 'dob', 'linkedin_url', 'github_url', 'bio'] as const;

export function missingProfileFields(user: UserRow): string[] {
  return PROFILE_FIELDS.filter((f) => !user[f]);
}

/**
 * Django's ModelBackend.authenticate + User.check_password: exact (case-sensitive) email, timing
 * equalised for unknown users, hash upgraded on a correct password even for an inactive user.
 */
export async function authenticate(knex: Knex, email: unknown, password: unknown): Promise<UserRow | null> {
  if (email === undefined || email === null || password === undefined || password === null) return null;
  const user = typeof email === 'string' ? await userByEmail(knex, email) : null;
  const pw = typeof password === 'string' ? password : String(password);
  if (!user) {
    await makePassword(pw);
    return null;
  }
  const { ok, mustUpdate } = await verifyPassword(pw, user.password);
  if (ok && mustUpdate) await setPasswordHash(knex, user.id, await makePassword(pw));
  if (!ok || !user.is_active) return null;
  return user;
}

export const loginView = apiView({
  name: 'Custom Login',
  permission: 'any',
  throttle: 'login',
  jsonOnly: true,
  methods: {
    async POST(req) {
      const body = asObject((await req.data()).value);
      const user = await authenticate(req.ctx.db.knex, body.email, body.password);
      if (!user) throw authenticationFailed('Invalid email or password.');
      const token = await getOrCreateToken(req.ctx.db.knex, user.id);
      const missing = missingProfileFields(user);
      return {
        body: {
          year: user.year,
          token,
          is_completed: missing.length === 0,
          missing_fields: missing,
          message: `Welcome ${user.first_name}!`,
        },
      };
    },
  },
});

export const logoutView = apiView({
  name: 'Custom Logout',
  methods: {
    async POST(req) {
      await req.ctx.db.knex(TOKEN_TABLE).where({ key: req.tokenKey }).delete();
      // DRF keeps one token per user: the sockets opened with it are no longer authenticated.
      if (req.user) await req.ctx.sessions.revoke([req.user.id], null);
      return { body: { message: 'Successfully logged out.' } };
    },
  },
});
