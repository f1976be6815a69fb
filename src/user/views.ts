// The User app's views (User/urls.py of CSI_BACKEND) other than login/logout (auth.ts) and the student
// flow (student.ts): same statuses and bodies as the original; where it crashed on bad input, a 4xx.
import type { ApiRequest } from '../drf/api.ts';
import { apiView, readDict } from '../drf/api.ts';
import { jsonError, permissionDenied, validationError } from '../drf/errors.ts';
import { makePassword, randomString } from '../auth/hashers.ts';
import { TOKEN_TABLE, type UserRow } from '../auth/tokens.ts';
import { readInput } from '../drf/fields/index.ts';
import { isTruthy, pyStrip, pythonTypeName } from '../python/builtins.ts';
import * as q from './queries.ts';
import { serializeListUser, serializeProfile, serializeSearchUser, serializeTeamMember } from './serializers.ts';
import { profileFillSerializer, registerSerializer, USER_MSG, YEAR_CHOICES } from './validation.ts';
import { generateOtp, inTransactionWithMail, isUniqueViolation, sendOrFail } from './common.ts';
import { passwordOtpMail, welcomeMail } from './mails.ts';
import { missingProfileFields } from './auth.ts';
import { androidSafe } from '../config.ts';
import {
  arrayOf,
  bodyOf,
  detailBody,
  errorBody,
  fieldErrorsBody,
  inputSchemaOf,
  json,
  MAIL_FAILED,
  messageBody,
  STORAGE_FAILED,
  T,
} from '../drf/openapi.ts';
import { listUserSchema, profileSchema, searchUserSchema, teamMemberSchema } from './serializers.ts';
import { burnsCodes, mayCheck } from './otpGuard.ts';

/** The role a registered member gets from the year: 2nd years are members, 3rd and 4th years admins. */
export function roleForYear(year: string): string {
  return year === '2nd' ? 'member' : 'admin';
}

function me(req: ApiRequest): UserRow {
  return req.user!;
}

// ---------------------------------------------------------------------------------------------
// Reads

/** GET list/ — UserListView (ListAPIView, IsAuthenticated, no pagination). */
export const userList = apiView({
  name: 'User List',
  docs: { GET: { summary: 'Every user', responses: { 200: json('The users', arrayOf(listUserSchema)) } } },
  methods: {
    async GET(req) {
      const users = await q.allUsers(req.ctx.db.knex);
      return { body: users.map(serializeListUser) };
    },
  },
});

/** GET search/?q= — MembersSearchAPIView */
export const memberSearch = apiView({
  name: 'Members Search Api',
  docs: {
    GET: {
      summary: 'Search users by name',
      query: [{ name: 'q', required: true, schema: T.str, description: 'part of a first or last name' }],
      responses: {
        200: json('The matching users (maybe none)', arrayOf(searchUserSchema)),
        400: json('No query', errorBody('please provide a search query')),
      },
    },
  },
  methods: {
    async GET(req) {
      const query = pyStrip(req.query('q') ?? '');
      if (!query) return { status: 400, body: { error: 'please provide a search query' } };
      const users = query.includes('\0') ? [] : await q.searchUsers(req.ctx.db.knex, query);
      return { body: users.map((u) => serializeSearchUser(u, req.ctx.storage)) };
    },
  },
});

/** GET meet-our-team/ — MeetOurTeamAPIView (no authentication required). */
export const meetOurTeam = apiView({
  name: 'Meet Our Team Api',
  permission: 'any',
  docs: {
    GET: {
      summary: 'The active members by year (no authentication)',
      responses: {
        200: json('Years with members', {
          type: 'object',
          propertyNames: { enum: [...YEAR_CHOICES] },
          additionalProperties: arrayOf(teamMemberSchema),
        }),
      },
    },
  },
  methods: {
    async GET(req) {
      const users = await q.activeUsersByYear(req.ctx.db.knex, YEAR_CHOICES);
      const body: Record<string, unknown[]> = {};
      for (const year of YEAR_CHOICES) {
        const inYear = users.filter((u) => u.year === year);
        if (inYear.length) body[year] = inYear.map((u) => serializeTeamMember(u, req.ctx.storage));
      }
      return { body };
    },
  },
});

/** GET profile/detail/ — the logged-in user's profile (domain as its name). */
export const profileDetail = apiView({
  name: 'User Profile Detail',
  docs: { GET: { summary: "The logged-in user's profile", responses: { 200: json('The profile', profileSchema) } } },
  methods: {
    async GET(req) {
      const u = await q.userWithDomain(req.ctx.db.knex, me(req).id);
      return { body: serializeProfile(u!, req.ctx.storage, androidSafe(req.ctx.config)) };
    },
  },
});

// ---------------------------------------------------------------------------------------------
// register/

/** Who may register members: admins (role "admin") and Django staff/superusers. */
function canRegisterMembers(u: UserRow): boolean {
  return u.role === 'admin' || u.is_staff || u.is_superuser;
}

/**
 * POST register/ — RegisterAPIView: RegisterSerializer(email, first_name, last_name, year), generated
 * password mailed. The original let anyone call it (and the year makes 3rd/4th years admins); csi-chat
 * requires an authenticated admin.
 */
export const register = apiView({
  name: 'Register Api',
  docs: {
    POST: {
      summary: 'Register a member (admins and staff only): a generated password is mailed',
      body: bodyOf(inputSchemaOf(registerSerializer), { form: true }),
      responses: {
        201: json('Registered', messageBody('User registered successfully. Login details and welcome message have been sent via email.')),
        400: json('Invalid fields', fieldErrorsBody(inputSchemaOf(registerSerializer))),
        403: json('Not an admin', detailBody('You do not have permission to perform this action.')),
        503: MAIL_FAILED,
      },
    },
  },
  methods: {
    async POST(req) {
      if (!canRegisterMembers(me(req))) throw permissionDenied();
      const knex = req.ctx.db.knex;
      const data = await registerSerializer(knex).validate(await readInput(req));
      const user = { email: data.email, first_name: data.first_name, last_name: data.last_name ?? null, year: data.year };
      const password = randomString(8);
      const encoded = await makePassword(password);
      try {
        await inTransactionWithMail(knex, async (trx) => {
          await q.insertUser(trx, { ...user, password: encoded, role: roleForYear(user.year) });
          await sendOrFail(req, { to: user.email, ...welcomeMail(user, password) });
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw validationError({ email: [USER_MSG.emailTaken] });
        throw err;
      }
      return {
        status: 201,
        body: { message: 'User registered successfully. Login details and welcome message have been sent via email.' },
      };
    },
  },
});

// ---------------------------------------------------------------------------------------------
// forgot-password/ and reset-password/

/** POST forgot-password/ — ForgotPasswordOTPAPIView: a 6-digit OTP mailed, valid 10 minutes. */
async function forgotPassword(req: ApiRequest) {
  const body = await readDict(req);
  const email = body.email;
  if (!isTruthy(email)) return { status: 400, body: { error: 'Email is required.' } };
  const user = typeof email === 'string' ? await q.userByEmail(req.ctx.db.knex, email) : null;
  if (!user) return { status: 404, body: { error: 'User with this email does not exist.' } };
  const otp = generateOtp();
  await inTransactionWithMail(req.ctx.db.knex, async (trx) => {
    await q.insertOtp(trx, user.id, otp);
    await sendOrFail(req, { to: user.email, ...passwordOtpMail(user.first_name, otp) });
  });
  await req.ctx.otpGuard.reset(user.id);
  return { body: { message: 'OTP sent to your email.' } };
}

/** POST reset-password/ — ResetPasswordWithOTPAPIView: the OTP is checked and used once, in one transaction. */
async function resetPassword(req: ApiRequest) {
  const body = await readDict(req);
  const { email, otp, password } = body;
  if (!isTruthy(email) || !isTruthy(otp) || !isTruthy(password)) {
    return { status: 400, body: { error: 'Email, OTP, and password are required.' } };
  }
  if (typeof password !== 'string') {
    return { status: 400, body: { error: `Password must be a string or bytes, got ${pythonTypeName(password)}.` } };
  }
  const knex = req.ctx.db.knex;
  const user = typeof email === 'string' ? await q.userByEmail(knex, email) : null;
  if (!user) return { status: 400, body: { error: 'No User matches the given query.' } };
  const code = typeof otp === 'string' || typeof otp === 'number' ? String(otp) : null;
  // Counted before the check (src/user/otpGuard.ts): past the bound the code is not even looked at.
  const attempt = await req.ctx.otpGuard.attempt(user.id);
  const ok =
    mayCheck(attempt) &&
    (await knex.transaction(async (trx) => {
      // The OTP row stays locked until commit: two requests with the same code cannot both use it.
      const record = code === null || code.includes('\0') ? null : await q.unusedOtpMatching(trx, user.id, code);
      if (!record || record.age_seconds > q.OTP_VALID_SECONDS) return false;
      // Hashed only for a valid code, so wrong guesses cost no PBKDF2 time.
      await q.setPasswordHash(trx, user.id, await makePassword(password));
      await q.markOtpUsed(trx, record.id);
      // Whoever knew the old password keeps no access (issue 13 #10; README divergences): the original left
      // the user's DRF token, and every socket opened with it, alive.
      await trx(TOKEN_TABLE).where({ user_id: user.id }).delete();
      return true;
    }));
  if (!ok) {
    if (burnsCodes(attempt)) await q.burnOtps(knex, user.id);
    return { status: 400, body: { error: 'Invalid or expired OTP.' } };
  }
  await req.ctx.otpGuard.reset(user.id);
  await req.ctx.sessions.revoke([user.id], null);
  return { body: { message: 'Password has been reset successfully.' } };
}

/** forgot-password/'s documentation (also student/forgot-password/). */
const FORGOT_PASSWORD_DOCS = {
  POST: {
    summary: 'Mail a 6-digit password reset code (valid 10 minutes)',
    body: { schema: { type: 'object', properties: { email: T.str }, required: ['email'] }, form: true },
    responses: {
      200: json('Code sent', messageBody('OTP sent to your email.')),
      400: json('No email', errorBody('Email is required.')),
      404: json('Unknown email', errorBody('User with this email does not exist.')),
      503: MAIL_FAILED,
    },
  },
} as const;

/** reset-password/'s documentation (also student/reset-password/). */
const RESET_PASSWORD_DOCS = {
  POST: {
    summary: 'Set a new password with the mailed code (used once)',
    body: {
      schema: { type: 'object', properties: { email: T.str, otp: T.str, password: T.str }, required: ['email', 'otp', 'password'] },
      form: true,
    },
    responses: {
      200: json('Password changed', messageBody('Password has been reset successfully.')),
      400: json('Missing fields, unknown email, or a wrong or expired code', errorBody()),
    },
  },
} as const;

/** forgot-password/ and reset-password/ under the original's view names (the student app declares the same
 * two views under its own names: their OPTIONS answers differ only there). */
export function passwordResetViews(forgotName: string, resetName: string) {
  return {
    forgot: apiView({
      name: forgotName,
      permission: 'any',
      docs: FORGOT_PASSWORD_DOCS,
      throttle: 'passwordReset',
      methods: { POST: forgotPassword },
    }),
    reset: apiView({ name: resetName, permission: 'any', docs: RESET_PASSWORD_DOCS, throttle: 'passwordReset', methods: { POST: resetPassword } }),
  };
}

export const { forgot: forgotPasswordView, reset: resetPasswordView } = passwordResetViews('Forgot Password Otpapi', 'Reset Password With Otpapi');

// ---------------------------------------------------------------------------------------------
// profile/fill/

/** POST profile/fill/ (every required field; the original's view has no put) — the answer is the profile. */
async function fillProfile(req: ApiRequest) {
  const knex = req.ctx.db.knex;
  const userId = me(req).id;
  const { domain, ...fields } = await profileFillSerializer(knex).validate(await readInput(req));
  let stored: string | null = null;
  if (fields.photo) {
    try {
      stored = await req.ctx.storage.save(
        { buffer: fields.photo.buffer, filename: fields.photo.originalname, mimetype: fields.photo.mimetype },
        { resourceType: 'image' },
      );
    } catch (err) {
      req.ctx.log.error({ err }, 'profile photo upload failed');
      throw jsonError(502, { detail: 'The file could not be stored. Try again later.' });
    }
  }
  const { photo: _photo, ...columns } = fields;
  const update: Record<string, unknown> = { ...columns };
  if (domain) update.domain_id = domain.id;
  if (stored !== null) update.photo = stored;
  try {
    await knex.transaction(async (trx) => {
      const current = await trx('User_user').where({ id: userId }).forUpdate().first();
      const merged = { ...current, ...update } as UserRow;
      update.is_completed = missingProfileFields(merged).length === 0;
      await q.updateUser(trx, userId, update);
    });
  } catch (err) {
    if (stored && req.ctx.storage.remove) {
      await req.ctx.storage.remove(stored).catch((e: unknown) => req.ctx.log.warn({ err: e, stored }, 'could not remove an orphaned upload'));
    }
    throw err;
  }
  const u = await q.userWithDomain(knex, userId);
  return { body: serializeProfile(u!, req.ctx.storage, androidSafe(req.ctx.config)) };
}

export const profileFill = apiView({
  takesFiles: true,
  name: 'User Profile Fill',
  docs: {
    POST: {
      summary: "Fill the logged-in user's profile (every required field; multipart for the photo)",
      body: bodyOf(inputSchemaOf(profileFillSerializer), { multipartOnly: true }),
      responses: {
        200: json('The profile', profileSchema),
        400: json('Invalid fields', fieldErrorsBody(inputSchemaOf(profileFillSerializer))),
        502: STORAGE_FAILED,
      },
    },
  },
  methods: {
    POST: (req) => fillProfile(req),
  },
});
