// DRF's authtoken app: the Token table (key lookup, get_or_create) and the socket's `?token=` key.
// The Authorization header and DRF's authentication errors are src/drf/authentication.ts.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
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

/** The query knex built for .join().where().first('u.*'), written out once (it runs on every request). */
const USER_FOR_TOKEN_SQL = `select "u".* from "${USER_TABLE}" as "u" inner join "${TOKEN_TABLE}" as "t" on "t"."user_id" = "u"."id" where "t"."key" = ? limit ?`;

export async function userForToken(knex: Knex, key: string): Promise<UserRow | null> {
  if (key.length > 40) return null;
  const found = await preparedRows<UserRow>(knex, 'csi_user_for_token', USER_FOR_TOKEN_SQL, [key, 1]);
  return found[0] ?? null;
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
  const inserted = await knex(TOKEN_TABLE).insert({ key, user_id: userId, created: new Date() }).onConflict('user_id').ignore().returning('key');
  if (inserted.length) return key;
  const raced = await knex(TOKEN_TABLE).where({ user_id: userId }).first('key');
  return raced.key as string;
}
