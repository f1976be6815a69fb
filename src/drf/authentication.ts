// DRF's TokenAuthentication (rest_framework/authentication.py): the Authorization header parsed with
// DRF's exact messages, then the key looked up in authtoken_token.
import type { Knex } from 'knex';
import { authenticationFailed } from './errors.ts';
import { userForToken, type UserRow } from '../auth/tokens.ts';

const ASCII_WS = /[ \t\n\r\x0b\x0c]+/;

export type HeaderParse = { kind: 'absent' } | { kind: 'key'; key: string };

/**
 * DRF's get_authorization_header + TokenAuthentication.authenticate up to the lookup. Node gives header
 * values as latin1 text, which is exactly the bytes DRF re-encodes with ISO-8859-1.
 */
function parseAuthorizationHeader(value: string | undefined): HeaderParse {
  if (value === undefined) return { kind: 'absent' };
  const words = value.split(ASCII_WS).filter((w) => w.length > 0);
  if (words.length === 0 || words[0].toLowerCase() !== 'token') return { kind: 'absent' };
  if (words.length === 1) throw authenticationFailed('Invalid token header. No credentials provided.');
  if (words.length > 2) throw authenticationFailed('Invalid token header. Token string should not contain spaces.');
  let key: string;
  try {
    key = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(words[1], 'latin1'));
  } catch {
    throw authenticationFailed('Invalid token header. Token string should not contain invalid characters.');
  }
  return { kind: 'key', key };
}

/** REST authentication: null when no Token header applies; throws DRF's 403s for bad ones. */
export async function authenticateRequest(knex: Knex, header: string | undefined): Promise<{ user: UserRow; key: string } | null> {
  const parsed = parseAuthorizationHeader(header);
  if (parsed.kind === 'absent') return null;
  const user = await userForToken(knex, parsed.key);
  if (!user) throw authenticationFailed('Invalid token.');
  if (!user.is_active) throw authenticationFailed('User inactive or deleted.');
  return { user, key: parsed.key };
}
