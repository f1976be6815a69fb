// DRF TokenAuthentication: header parsing with DRF's exact messages, key lookup in authtoken_token.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { authenticationFailed } from '../drf/errors.ts';
import { nowTimestamp } from '../drf/datetime.ts';
import { preparedRows } from '../db/sql.ts';

/** The User_user row (all columns), as selected by `u.*`. */
export interface UserRow {
  id: number;
  password: string;
  last_login: string | null;
  is_superuser: boolean;
  email: string;
  first_name: string;
  last_name: string | null;
  photo: string | null;
  linkedin_url: string | null;
  insta_url: string | null;
  github_url: string | null;
  role: string;
  bio: string | null;
  year: string;
  status: string;
  is_staff: boolean;
  is_active: boolean;
  created_at: string;
  updated_at: string;
  domain_id: number | null;
  is_verified: boolean;
  last_seen: string | null;
  achievements: string | null;
  branch: string | null;
  dob: string | null;
  is_completed: boolean;
  hosteller: boolean;
}

export const USER_TABLE = 'User_user';
export const TOKEN_TABLE = 'authtoken_token';

const ASCII_WS = /[ \t\n\r\x0b\x0c]+/;

export type HeaderParse =
  | { kind: 'absent' }
  | { kind: 'key'; key: string };

/**
 * DRF's get_authorization_header + TokenAuthentication.authenticate up to the lookup. Node gives header
 * values as latin1 text, which is exactly the bytes DRF re-encodes with ISO-8859-1.
 */
export function parseAuthorizationHeader(value: string | undefined): HeaderParse {
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

/** The query knex built for .join().where().first('u.*'), written out once (it runs on every request). */
const USER_FOR_TOKEN_SQL = `select "u".* from "${USER_TABLE}" as "u" inner join "${TOKEN_TABLE}" as "t" on "t"."user_id" = "u"."id" where "t"."key" = ? limit ?`;

export async function userForToken(knex: Knex, key: string): Promise<UserRow | null> {
  if (key.length > 40) return null;
  const found = await preparedRows<UserRow>(knex, 'csi_user_for_token', USER_FOR_TOKEN_SQL, [key, 1]);
  return found[0] ?? null;
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

/** The first non-empty `token` of a query string, as parse_qs (which drops blank values) gives it. */
export function tokenFromQuery(query: string): string | null {
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = decodeQueryComponent(part.slice(0, eq));
    if (name !== 'token') continue;
    const value = decodeQueryComponent(part.slice(eq + 1));
    if (value) return value;
  }
  return null;
}

function decodeQueryComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export function generateTokenKey(): string {
  return crypto.randomBytes(20).toString('hex');
}

/** Token.objects.get_or_create(user=user). */
export async function getOrCreateToken(knex: Knex, userId: number): Promise<string> {
  const existing = await knex(TOKEN_TABLE).where({ user_id: userId }).first('key');
  if (existing) return existing.key as string;
  const key = generateTokenKey();
  const inserted = await knex(TOKEN_TABLE)
    .insert({ key, user_id: userId, created: nowTimestamp() })
    .onConflict('user_id')
    .ignore()
    .returning('key');
  if (inserted.length) return key;
  const raced = await knex(TOKEN_TABLE).where({ user_id: userId }).first('key');
  return raced.key as string;
}
