// SQL of the User app: User_user, Domain_domain, User_passwordresetotp, User_studentprofile.
import type { Knex } from 'knex';
import { type Db, containsPattern } from '../db/sql.ts';
import { USER_TABLE, type UserRow } from '../auth/tokens.ts';
import { nowTimestamp } from '../drf/datetime.ts';

export const OTP_TABLE = 'User_passwordresetotp';
export const STUDENT_PROFILE_TABLE = 'User_studentprofile';
const DOMAIN_TABLE = 'Domain_domain';

/** PasswordResetOTP.is_valid(): unused and at most 600 seconds old. */
export const OTP_VALID_SECONDS = 600;

export async function userByEmail(knex: Db, email: string): Promise<UserRow | null> {
  if (email.includes('\0')) return null;
  return ((await knex(USER_TABLE).where({ email }).first()) as UserRow | undefined) ?? null;
}

export async function setPasswordHash(knex: Db, userId: number, encoded: string): Promise<void> {
  await knex(USER_TABLE).where({ id: userId }).update({ password: encoded });
}

export async function emailTaken(knex: Db, email: string): Promise<boolean> {
  if (email.includes('\0')) return false;
  return !!(await knex(USER_TABLE).where({ email }).first('id'));
}

/** A user row joined with its domain (id, name), for the serializers that nest or slug the domain. */
export interface UserWithDomain extends UserRow {
  domain_name: string | null;
}

const WITH_DOMAIN = `u.*, d.name AS domain_name`;

export async function userWithDomain(knex: Db, id: number): Promise<UserWithDomain | null> {
  const r = await knex.raw(`SELECT ${WITH_DOMAIN} FROM "User_user" u LEFT JOIN "Domain_domain" d ON d.id = u.domain_id WHERE u.id = ?`, [id]);
  return (r.rows[0] as UserWithDomain | undefined) ?? null;
}

/** UserListView: User.objects.all() (ordered by id, the original leaves it to the database). */
export async function allUsers(knex: Db): Promise<UserRow[]> {
  return (await knex(USER_TABLE).select('*').orderBy('id')) as UserRow[];
}

/** MembersSearchAPIView: Q(first_name__icontains=q) | Q(last_name__icontains=q). */
export async function searchUsers(knex: Db, q: string): Promise<UserWithDomain[]> {
  const p = containsPattern(q);
  const r = await knex.raw(
    `SELECT ${WITH_DOMAIN} FROM "User_user" u LEFT JOIN "Domain_domain" d ON d.id = u.domain_id
     WHERE UPPER(u.first_name::text) LIKE UPPER(?) OR UPPER(u.last_name::text) LIKE UPPER(?)
     ORDER BY u.id`,
    [p, p],
  );
  return r.rows as UserWithDomain[];
}

/** MeetOurTeamAPIView: active users of one year, with their domain. */
export async function activeUsersByYear(knex: Db, years: readonly string[]): Promise<UserWithDomain[]> {
  const r = await knex.raw(
    `SELECT ${WITH_DOMAIN} FROM "User_user" u LEFT JOIN "Domain_domain" d ON d.id = u.domain_id
     WHERE u.status = 'active' AND u.year = ANY(?::text[])
     ORDER BY u.id`,
    [years as string[]],
  );
  return r.rows as UserWithDomain[];
}

export async function domainByName(knex: Db, name: string): Promise<{ id: number; name: string } | null> {
  if (name.includes('\0')) return null;
  return ((await knex(DOMAIN_TABLE).where({ name }).first('id', 'name')) as { id: number; name: string } | undefined) ?? null;
}

export interface NewUser {
  email: string;
  password: string;
  first_name: string;
  last_name: string | null;
  role: string;
  year: string;
  is_verified?: boolean;
  branch?: string | null;
  hosteller?: boolean;
}

/** User.objects.create(...) with the model's defaults. */
export async function insertUser(knex: Db, u: NewUser): Promise<number> {
  const now = nowTimestamp();
  const [row] = await knex(USER_TABLE)
    .insert({
      password: u.password,
      last_login: null,
      is_superuser: false,
      email: u.email,
      first_name: u.first_name,
      last_name: u.last_name,
      photo: null,
      linkedin_url: null,
      insta_url: null,
      github_url: null,
      role: u.role,
      bio: null,
      year: u.year,
      status: 'active',
      is_staff: false,
      is_active: true,
      created_at: now,
      updated_at: now,
      domain_id: null,
      is_verified: u.is_verified ?? false,
      last_seen: null,
      achievements: null,
      branch: u.branch ?? null,
      dob: null,
      is_completed: false,
      hosteller: u.hosteller ?? false,
    })
    .returning('id');
  return Number((row as { id: number }).id);
}

export async function updateUser(knex: Db, id: number, fields: Record<string, unknown>): Promise<void> {
  await knex(USER_TABLE)
    .where({ id })
    .update({ ...fields, updated_at: nowTimestamp() });
}

// ---------------------------------------------------------------------------------------------
// OTPs (PasswordResetOTP, used for password resets and for the student e-mail verification)

export interface OtpRow {
  id: number;
  otp: string;
  created_at: string;
  is_used: boolean;
  user_id: number;
  /** Seconds since created_at, computed by the database clock. */
  age_seconds: number;
}

export async function insertOtp(knex: Db, userId: number, otp: string): Promise<number> {
  const [row] = await knex(OTP_TABLE).insert({ otp, created_at: nowTimestamp(), is_used: false, user_id: userId }).returning('id');
  return Number((row as { id: number }).id);
}

const OTP_COLUMNS = `id, otp, created_at, is_used, user_id, EXTRACT(EPOCH FROM (now() - created_at))::float8 AS age_seconds`;

/** PasswordResetOTP.objects.filter(user=user, otp=otp, is_used=False).first() — newest first, locked. */
export async function unusedOtpMatching(trx: Knex.Transaction, userId: number, otp: string): Promise<OtpRow | null> {
  const r = await trx.raw(
    `SELECT ${OTP_COLUMNS} FROM "User_passwordresetotp" WHERE user_id = ? AND otp = ? AND is_used = false
     ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE`,
    [userId, otp],
  );
  return (r.rows[0] as OtpRow | undefined) ?? null;
}

/** The latest unused OTP of a user (EmailVerificationSerializer), locked. */
export async function latestUnusedOtp(trx: Knex.Transaction, userId: number): Promise<OtpRow | null> {
  const r = await trx.raw(
    `SELECT ${OTP_COLUMNS} FROM "User_passwordresetotp" WHERE user_id = ? AND is_used = false
     ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE`,
    [userId],
  );
  return (r.rows[0] as OtpRow | undefined) ?? null;
}

export async function markOtpUsed(knex: Db, id: number): Promise<void> {
  await knex(OTP_TABLE).where({ id }).update({ is_used: true });
}

/** Marks every unused OTP of a user as used (after too many wrong guesses). */
export async function burnOtps(knex: Db, userId: number): Promise<void> {
  await knex(OTP_TABLE).where({ user_id: userId, is_used: false }).update({ is_used: true });
}

// ---------------------------------------------------------------------------------------------
// Student profiles

export async function hasStudentProfile(knex: Db, userId: number): Promise<boolean> {
  return !!(await knex(STUDENT_PROFILE_TABLE).where({ user_id: userId }).first('id'));
}

/** StudentProfile.student_number's UniqueValidator (a NUL never matches: Postgres refuses it in text). */
export async function studentNumberTaken(knex: Db, studentNumber: string): Promise<boolean> {
  if (studentNumber.includes('\0')) return false;
  return !!(await knex(STUDENT_PROFILE_TABLE).where({ student_number: studentNumber }).first('id'));
}

export async function insertStudentProfile(
  knex: Db,
  p: { user_id: number; student_number: string; branch: string; gender: string; hosteller: boolean; year: string },
): Promise<void> {
  await knex(STUDENT_PROFILE_TABLE).insert(p);
}

/** user.groups.add(Group "student") (get_or_create of the auth group). */
export async function addToGroup(knex: Db, userId: number, groupName: string): Promise<void> {
  let group = await knex('auth_group').where({ name: groupName }).first('id');
  if (!group) {
    [group] = await knex('auth_group').insert({ name: groupName }).onConflict('name').merge().returning('id');
  }
  await knex('User_user_groups').insert({ user_id: userId, group_id: group.id }).onConflict(['user_id', 'group_id']).ignore();
}
