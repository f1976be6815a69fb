// Django's database sessions (django.contrib.sessions.backends.db) and the session half of
// django.contrib.auth: the `sessionid` cookie names a django_session row whose session_data is
// signing.dumps(payload, salt="django.contrib.sessions.SessionStore", compress=True); the payload holds
// _auth_user_id / _auth_user_backend / _auth_user_hash, the last one tying the session to the user's
// password hash (docs/django-admin-notes.md "Log-in, recorded"). Django and csi-chat read and write
// the same rows with the same SECRET_KEY, so a log-in on either is a log-in on both.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { BadSignature, constantTimeEqual, loads, saltedHmac, TimestampSigner } from './signing.ts';
import { USER_TABLE, type UserRow } from './tokens.ts';

const SESSION_TABLE = 'django_session';
export const SESSION_COOKIE_NAME = 'sessionid';
/** SESSION_COOKIE_AGE: two weeks. */
const SESSION_COOKIE_AGE = 1209600;
export const SESSION_SALT = 'django.contrib.sessions.SessionStore';
const SESSION_KEY = '_auth_user_id';
const BACKEND_SESSION_KEY = '_auth_user_backend';
const HASH_SESSION_KEY = '_auth_user_hash';
/** The only AUTHENTICATION_BACKENDS entry of the original. */
const MODEL_BACKEND = 'django.contrib.auth.backends.ModelBackend';
const AUTH_HASH_SALT = 'django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash';
/** VALID_KEY_CHARS = ascii_lowercase + digits; keys are 32 of them. */
const KEY_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const KEY_LENGTH = 32;
/** The column is varchar(40); Django's _validate_session_key wants at least 8 characters. */
const KEY_RE = /^[a-z0-9]{8,40}$/;

export type SessionData = Record<string, unknown>;

/** AbstractBaseUser.get_session_auth_hash(): a password change ends every session of the user. */
export function sessionAuthHash(passwordHash: string, secret: string): string {
  return saltedHmac(AUTH_HASH_SALT, passwordHash, secret).toString('hex');
}

/** SessionBase.encode */
export function encodeSession(data: SessionData, secret: string): string {
  return new TimestampSigner(secret, SESSION_SALT).signObject(data, true);
}

/** SessionBase.decode: a bad signature or an undecodable payload is an empty session. */
export function decodeSession(text: string, secret: string, fallbackKeys: readonly string[] = []): SessionData {
  try {
    const value = loads(text, secret, SESSION_SALT, null, fallbackKeys);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as SessionData) : {};
  } catch (err) {
    if (err instanceof BadSignature) return {};
    throw err;
  }
}

function isValidSessionKey(key: string | undefined): key is string {
  return typeof key === 'string' && KEY_RE.test(key);
}

function newSessionKey(): string {
  let out = '';
  for (let i = 0; i < KEY_LENGTH; i++) out += KEY_CHARS[crypto.randomInt(KEY_CHARS.length)];
  return out;
}

/** The row of an unexpired session (SessionStore.load), or null. */
async function loadSessionRow(knex: Knex, key: string): Promise<{ session_key: string; session_data: string } | null> {
  if (!isValidSessionKey(key)) return null;
  const row = await knex(SESSION_TABLE).where('session_key', key).andWhere('expire_date', '>', knex.fn.now()).first('session_key', 'session_data');
  return row ?? null;
}

/** SessionStore.create + save: a fresh unique key, expire_date = now + SESSION_COOKIE_AGE. */
export async function createSession(knex: Knex, secret: string, data: SessionData): Promise<string> {
  const sessionData = encodeSession(data, secret);
  const expire = new Date(Date.now() + SESSION_COOKIE_AGE * 1000).toISOString();
  for (let attempt = 0; attempt < 5; attempt++) {
    const key = newSessionKey();
    const inserted = await knex(SESSION_TABLE)
      .insert({ session_key: key, session_data: sessionData, expire_date: expire })
      .onConflict('session_key')
      .ignore()
      .returning('session_key');
    if (inserted.length) return key;
  }
  throw new Error('could not create a unique session key');
}

/** SessionStore.save(must_create=False) of an existing key: new data, expiry renewed. */
async function saveSession(knex: Knex, secret: string, key: string, data: SessionData): Promise<void> {
  const expire = new Date(Date.now() + SESSION_COOKIE_AGE * 1000).toISOString();
  await knex(SESSION_TABLE)
    .insert({ session_key: key, session_data: encodeSession(data, secret), expire_date: expire })
    .onConflict('session_key')
    .merge(['session_data', 'expire_date']);
}

export async function deleteSession(knex: Knex, key: string): Promise<void> {
  if (!isValidSessionKey(key)) return;
  await knex(SESSION_TABLE).where('session_key', key).delete();
}

export type SessionAuth =
  /** No row for the cookie (unknown, expired or malformed key): Django answers with a deleted cookie. */
  | { kind: 'missing' }
  /** A row without a (valid) user: anonymous, the row stays. */
  | { kind: 'anonymous'; key: string; data: SessionData }
  /** The stored hash no longer matches the user's password: Django flushed (deleted) the row. */
  | { kind: 'flushed' }
  | { kind: 'user'; key: string; data: SessionData; user: UserRow };

/**
 * django.contrib.auth.get_user(request) on a session key: the user of _auth_user_id through the
 * ModelBackend (active users only), after the constant-time _auth_user_hash check; a mismatch
 * deletes the session (request.session.flush()).
 */
export async function authenticateSession(knex: Knex, secret: string, key: string, fallbackKeys: readonly string[] = []): Promise<SessionAuth> {
  const row = await loadSessionRow(knex, key);
  if (!row) return { kind: 'missing' };
  const data = decodeSession(row.session_data, secret, fallbackKeys);
  const rawId = data[SESSION_KEY];
  const backend = data[BACKEND_SESSION_KEY];
  if (rawId === undefined || backend !== MODEL_BACKEND) return { kind: 'anonymous', key, data };
  // User._meta.pk.to_python: a bigint from its string form.
  const idText = typeof rawId === 'number' ? String(rawId) : rawId;
  if (typeof idText !== 'string' || !/^\s*[+-]?\d{1,18}\s*$/.test(idText)) return { kind: 'anonymous', key, data };
  const user: UserRow | undefined = await knex(USER_TABLE).where('id', Number(idText)).first();
  // ModelBackend.get_user → user_can_authenticate: inactive users are anonymous.
  if (!user || !user.is_active) return { kind: 'anonymous', key, data };
  const stored = data[HASH_SESSION_KEY];
  const verified =
    typeof stored === 'string' &&
    stored !== '' &&
    [secret, ...fallbackKeys].some((s) => constantTimeEqual(stored, sessionAuthHash(user.password, s)));
  if (!verified) {
    await deleteSession(knex, key);
    return { kind: 'flushed' };
  }
  return { kind: 'user', key, data, user };
}

/** The payload django.contrib.auth.login() stores. */
export function loginPayload(user: Pick<UserRow, 'id' | 'password'>, secret: string): SessionData {
  return {
    [SESSION_KEY]: String(user.id),
    [BACKEND_SESSION_KEY]: MODEL_BACKEND,
    [HASH_SESSION_KEY]: sessionAuthHash(user.password, secret),
  };
}

/**
 * django.contrib.auth.login(): a new session key (cycle_key / flush, so a planted key is never
 * promoted), the three auth keys, and last_login = now (update_last_login). Returns the new key.
 */
export async function loginSession(knex: Knex, secret: string, user: UserRow, previousKey: string | null): Promise<string> {
  if (previousKey) await deleteSession(knex, previousKey);
  const key = await createSession(knex, secret, loginPayload(user, secret));
  await knex(USER_TABLE).where('id', user.id).update({ last_login: knex.fn.now() });
  return key;
}

/** update_session_auth_hash(): the admin changed their own password and stays logged in. */
export async function updateSessionAuthHash(knex: Knex, secret: string, key: string, user: Pick<UserRow, 'id' | 'password'>): Promise<void> {
  await saveSession(knex, secret, key, loginPayload(user, secret));
}

/** HttpResponse.set_cookie(sessionid, …) as SessionMiddleware writes it (Python orders the attributes). */
export function sessionCookie(key: string, secure: boolean, now = Date.now()): string {
  const expires = new Date(now + SESSION_COOKIE_AGE * 1000).toUTCString();
  return `${SESSION_COOKIE_NAME}=${key}; expires=${expires}; HttpOnly; Max-Age=${SESSION_COOKIE_AGE}; Path=/; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** HttpResponse.delete_cookie(sessionid) */
export function deletedSessionCookie(): string {
  return `${SESSION_COOKIE_NAME}=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax`;
}

/** Cookie header size bound: Django reads whatever arrives; csi-chat ignores cookies in oversized headers. */
const MAX_COOKIE_HEADER = 16 * 1024;

/** django.http.cookie.parse_cookie: ";"-separated pairs, last one wins, quoted values unquoted. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header || header.length > MAX_COOKIE_HEADER) return out;
  for (const chunk of header.split(';')) {
    const eq = chunk.indexOf('=');
    const key = (eq < 0 ? '' : chunk.slice(0, eq)).trim();
    let val = (eq < 0 ? chunk : chunk.slice(eq + 1)).trim();
    if (!key && !val) continue;
    if (val.length >= 2 && val.startsWith('"') && val.endsWith('"')) {
      val = val.slice(1, -1).replace(/\\([0-3][0-7][0-7]|.)/g, (_m, esc: string) => (esc.length === 3 ? String.fromCharCode(parseInt(esc, 8)) : esc));
    }
    out.set(key, val);
  }
  return out;
}
