// The student flow under /api/user/student/: register (StudentRegistrationSerializer, OTP mailed),
// verify-email (EmailVerificationSerializer), resend-otp, login (LoginSerializer, verified users only),
// forgot/reset password (the same OTP table and rules as the members' ones), logout, google-login.
import type { ApiRequest } from '../drf/api.ts';
import { apiView, readDict } from '../drf/api.ts';
import { jsonError, validationError } from '../drf/errors.ts';
import { makePassword, makeUnusablePassword } from '../auth/hashers.ts';
import { getOrCreateToken } from '../auth/tokens.ts';
import { readInput } from '../drf/fields/index.ts';
import { isTruthy } from '../python/builtins.ts';
import * as q from './queries.ts';
import { serializeStudent, studentSchema } from './serializers.ts';
import { anyOf, bodyOf, detailBody, errorBody, fieldErrorsBody, json, MAIL_FAILED, messageBody, obj, T } from '../drf/openapi.ts';
import { passwordResetViews } from './views.ts';

const TOKEN_ANSWER = obj({ token: { type: 'string', pattern: '^[0-9a-f]{40}$' }, message: { const: 'Student logged in successfully.' } });
import { emailVerificationSerializer, splitFullName, studentLoginSerializer, studentRegistrationSerializer, USER_MSG } from './validation.ts';
import { generateOtp, inTransactionWithMail, isUniqueViolation, sendOrFail } from './common.ts';
import { existingAccountMail, verificationOtpMail } from './mails.ts';
import { authenticate } from './auth.ts';
import { GoogleTokenError } from './google.ts';
import { burnsCodes, mayCheck } from './otpGuard.ts';

// Kept where the tests and older callers look for it; the serializers live in validation.ts.
export { splitFullName } from './validation.ts';

const PROFILE_EXISTS = 'Student profile already exists for this user.';

/**
 * STUDENT_EMAIL_DOMAINS: the original let any address sign up, so anyone became a user who could join rooms
 * and assign tasks; csi-chat takes by default only the college domain that google-login requires (issue 13
 * #9; README divergences). The text is google-login's.
 */
export function studentDomainRefused(email: string, domains: string[] | null): string | null {
  if (domains === null) return null;
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  if (domains.includes(domain)) return null;
  return `Email must end with ${domains.map((d) => `'@${d}'`).join(' or ')}.`;
}

/** POST student/register/ — 201 with {full_name, email}; the verification OTP is mailed. */
export const studentRegister = apiView({
  name: 'Student Register',
  permission: 'any',
  docs: {
    POST: {
      summary: 'Register a student: a verification code is mailed',
      body: bodyOf(studentRegistrationSerializer.schema, { form: true }),
      responses: {
        201: json('Registered; verify the email next', studentSchema),
        400: json(
          'Invalid fields, or a user who already has a student profile',
          anyOf(fieldErrorsBody(studentRegistrationSerializer.schema), detailBody(PROFILE_EXISTS)),
        ),
        503: MAIL_FAILED,
      },
    },
  },
  methods: {
    async POST(req) {
      const knex = req.ctx.db.knex;
      const data = await studentRegistrationSerializer.validate(await readInput(req));
      const refused = studentDomainRefused(data.email, req.ctx.config.studentEmailDomains);
      if (refused) throw validationError({ email: [refused] });
      const { first, last } = splitFullName(data.full_name);
      const encoded = await makePassword(data.password);
      const otp = generateOtp();
      let shown: { first_name: string; last_name: string | null; email: string };
      try {
        shown = await inTransactionWithMail(knex, async (trx) => {
          const names = { first_name: first, last_name: last };
          const existing = await trx('User_user').where({ email: data.email }).forUpdate().first();
          if (existing) {
            // The original attached a student profile and the `student` group to the account, mailed its
            // owner an OTP and answered with the owner's name (or "profile already exists"): an anonymous
            // caller learnt who holds an address and changed their account. csi-chat changes nothing and
            // answers exactly as for a new address (the same checks first, then 201 with the submitted
            // name); the owner gets a notice instead of a code (issue 13 #8; README divergences).
            if (await q.studentNumberTaken(trx, data.student_number)) throw validationError({ student_number: [USER_MSG.studentNumberTaken] });
            await sendOrFail(req, { to: data.email, ...existingAccountMail(existing.first_name as string) });
            return { ...names, email: data.email };
          }
          const userId = await q.insertUser(trx, {
            email: data.email,
            password: encoded,
            ...names,
            role: 'student',
            year: data.year,
            branch: data.branch,
            hosteller: data.hosteller,
          });
          await q.addToGroup(trx, userId, 'student');
          await q.insertStudentProfile(trx, {
            user_id: userId,
            student_number: data.student_number,
            branch: data.branch,
            gender: data.gender,
            hosteller: data.hosteller,
            year: data.year,
          });
          await q.insertOtp(trx, userId, otp);
          await sendOrFail(req, { to: data.email, ...verificationOtpMail(names.first_name, otp) });
          return { ...names, email: data.email };
        });
      } catch (err) {
        if (isUniqueViolation(err)) {
          const detail = String((err as { detail?: string; constraint?: string }).constraint ?? (err as Error).message);
          if (/student_number/.test(detail)) throw validationError({ student_number: [USER_MSG.studentNumberTaken] });
          if (/user_id/.test(detail)) throw validationError({ detail: PROFILE_EXISTS });
          throw validationError({ email: [USER_MSG.emailTaken] });
        }
        throw err;
      }
      return { status: 201, body: serializeStudent(shown) };
    },
  },
});

/** POST student/verify-email/ — the latest unused OTP of the user, used once; sets is_verified. */
export const studentVerifyEmail = apiView({
  name: 'Student Verify Email',
  permission: 'any',
  docs: {
    POST: {
      summary: 'Verify the email with the mailed code',
      body: bodyOf(emailVerificationSerializer.schema, { form: true }),
      responses: {
        200: json('Verified', messageBody('Email verified successfully.')),
        400: json('Invalid fields, unknown email, or a wrong, expired or missing code', fieldErrorsBody(emailVerificationSerializer.schema)),
      },
    },
  },
  throttle: 'otp',
  methods: {
    async POST(req) {
      const knex = req.ctx.db.knex;
      const { email, otp } = await emailVerificationSerializer.validate(await readInput(req));
      const user = await q.userByEmail(knex, email);
      if (!user) throw validationError({ non_field_errors: ['Invalid email address.'] });
      // Counted before the check (src/user/otpGuard.ts): past the bound the code is not even looked at.
      const attempt = await req.ctx.otpGuard.attempt(user.id);
      const outcome = await knex.transaction(async (trx) => {
        const record = await q.latestUnusedOtp(trx, user.id);
        if (!record) return 'OTP not found. Please request a new one.';
        if (record.age_seconds > q.OTP_VALID_SECONDS) return 'OTP expired or already used.';
        if (!mayCheck(attempt) || record.otp !== otp) return 'Invalid OTP.';
        await q.markOtpUsed(trx, record.id);
        await q.updateUser(trx, user.id, { is_verified: true });
        return null;
      });
      if (outcome) {
        if (outcome === 'Invalid OTP.' && burnsCodes(attempt)) await q.burnOtps(knex, user.id);
        throw validationError({ non_field_errors: [outcome] });
      }
      await req.ctx.otpGuard.reset(user.id);
      return { body: { message: 'Email verified successfully.' } };
    },
  },
});

/** POST student/resend-otp/ — a new verification OTP for an unverified user. */
export const studentResendOtp = apiView({
  name: 'Student Resend Otp',
  permission: 'any',
  docs: {
    POST: {
      summary: 'Mail a new verification code',
      body: { schema: { type: 'object', properties: { email: T.str }, required: ['email'] }, form: true },
      responses: {
        200: json('Sent', messageBody('OTP resent to your email.')),
        400: json('No email, or already verified', errorBody('Email is required.', 'Email is already verified.')),
        404: json('Unknown email', errorBody('User with this email does not exist.')),
        503: MAIL_FAILED,
      },
    },
  },
  throttle: 'otp',
  methods: {
    async POST(req) {
      const body = await readDict(req);
      const email = body.email;
      if (!isTruthy(email)) return { status: 400, body: { error: 'Email is required.' } };
      const user = typeof email === 'string' ? await q.userByEmail(req.ctx.db.knex, email) : null;
      if (!user) return { status: 404, body: { error: 'User with this email does not exist.' } };
      if (user.is_verified) return { status: 400, body: { error: 'Email is already verified.' } };
      const otp = generateOtp();
      await inTransactionWithMail(req.ctx.db.knex, async (trx) => {
        await q.insertOtp(trx, user.id, otp);
        await sendOrFail(req, { to: user.email, ...verificationOtpMail(user.first_name, otp) });
      });
      await req.ctx.otpGuard.reset(user.id);
      return { body: { message: 'OTP resent to your email.' } };
    },
  },
});

/** POST student/login/ — LoginSerializer: valid credentials of a verified user → the DRF token. */
export const studentLogin = apiView({
  name: 'Student Login',
  permission: 'any',
  docs: {
    POST: {
      summary: "Log a verified student in: the user's DRF token",
      body: bodyOf(studentLoginSerializer.schema, { form: true }),
      responses: {
        200: json('Logged in', TOKEN_ANSWER),
        400: json('Invalid fields, wrong credentials, or an unverified email', fieldErrorsBody(studentLoginSerializer.schema)),
      },
    },
  },
  throttle: 'login',
  methods: {
    async POST(req) {
      const { email, password } = await studentLoginSerializer.validate(await readInput(req));
      const user = await authenticate(req.ctx.db.knex, email, password);
      if (!user) throw validationError({ non_field_errors: ['Invalid credentials.'] });
      if (!user.is_verified) throw validationError({ non_field_errors: ['Please verify your email before logging in.'] });
      const token = await getOrCreateToken(req.ctx.db.knex, user.id);
      return { body: { token, message: 'Student logged in successfully.' } };
    },
  },
});

export const { forgot: studentForgotPassword, reset: studentResetPassword } = passwordResetViews('Student Forgot Password', 'Student Reset Password');

/** POST student/google-login/ — a verified Google ID token of an @akgec.ac.in account → the DRF token. */
export const studentGoogleLogin = apiView({
  name: 'Student Google Login Api',
  permission: 'any',
  docs: {
    POST: {
      summary: 'Log in with a Google ID token of an @akgec.ac.in account (the account is created on first login)',
      body: { schema: { type: 'object', properties: { id_token: T.str }, required: ['id_token'] }, form: true },
      responses: {
        200: json('Logged in', TOKEN_ANSWER),
        400: json('No token, a token Google does not accept, another domain, an unverified or inactive account', errorBody()),
        409: json('A concurrent first login', errorBody('Please try again.')),
      },
    },
  },
  methods: {
    async POST(req: ApiRequest) {
      const body = await readDict(req);
      const idToken = body.id_token;
      if (!isTruthy(idToken)) return { status: 400, body: { error: 'ID token is required.' } };
      if (typeof idToken !== 'string') return { status: 400, body: { error: 'Invalid Google ID token: the token must be a string.' } };
      let payload;
      try {
        payload = await req.ctx.google.verify(idToken);
      } catch (err) {
        if (err instanceof GoogleTokenError) return { status: 400, body: { error: `Invalid Google ID token: ${err.message}` } };
        throw err;
      }
      const email = payload.email;
      if (!email || !email.endsWith('@akgec.ac.in')) return { status: 400, body: { error: "Email must end with '@akgec.ac.in'." } };
      if (payload.email_verified !== true) return { status: 400, body: { error: 'Google has not verified this email address.' } };
      const first = [...(payload.given_name ?? '')].slice(0, 50).join('');
      const last = [...(payload.family_name ?? '')].slice(0, 50).join('');
      const knex = req.ctx.db.knex;
      const userId = await knex.transaction(async (trx) => {
        const existing = await trx('User_user').where({ email }).forUpdate().first();
        if (existing) {
          if (!existing.is_active) return null;
          // The original copied Google's names over the account's; csi-chat keeps a name Google leaves out.
          await q.updateUser(trx, existing.id, {
            ...(first ? { first_name: first } : {}),
            ...(payload.family_name !== undefined ? { last_name: last } : {}),
            is_verified: true,
          });
          return existing.id as number;
        }
        try {
          return await q.insertUser(trx, {
            email,
            password: makeUnusablePassword(),
            first_name: first,
            last_name: last,
            role: 'student',
            year: '',
            is_verified: true,
          });
        } catch (err) {
          if (isUniqueViolation(err)) throw jsonError(409, { error: 'Please try again.' });
          throw err;
        }
      });
      if (userId === null) return { status: 400, body: { error: 'User inactive or deleted.' } };
      const token = await getOrCreateToken(knex, userId);
      return { body: { token, message: 'Student logged in successfully.' } };
    },
  },
});
