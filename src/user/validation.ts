// The User app's serializers as the original declares them (RegisterSerializer, UserProfileFillSerializer,
// StudentRegistrationSerializer, EmailVerificationSerializer, LoginSerializer) on DRF's fields, and the
// model's choices.
import type { Knex } from 'knex';
import { boolean, char, choice, date, djangoMinLength, email, image, refine, slugRelated, url } from '../drf/fields/index.ts';
import { pyLen } from '../python/builtins.ts';
import { serializer } from '../drf/serializer.ts';
import * as q from './queries.ts';

export const USER_MSG = {
  akgec: "Email must end with '@akgec.ac.in'.",
  emailTaken: 'user with this email already exists.',
  studentNumberTaken: 'student profile with this student number already exists.',
} as const;

/** User.YEAR_CHOICES, in their order (meet-our-team groups by them). */
export const YEAR_CHOICES = ['2nd', '3rd', '4th'] as const;

/** StudentProfile choices. */
export const BRANCH_CHOICES = ['CSE', 'CS', 'CS-IT', 'CSE-DS', 'CS-HINDI', 'CSE-AIML', 'IT', 'AIML', 'ECE', 'ME', 'EN', 'CIVIL'] as const;
export const STUDENT_YEAR_CHOICES = ['1st', '2nd', '3rd', '4th'] as const;
export const GENDER_CHOICES = ['male', 'female', 'other'] as const;

const OPTIONAL_TEXT = { required: false, allowNull: true, allowBlank: true } as const;

/** RegisterSerializer (ModelSerializer of User: email with validate_akgec_email and unique, names, year). */
export function registerSerializer(knex: Knex) {
  return serializer({
    email: email({
      maxLength: 254,
      validators: [
        (v) => (v.endsWith('@akgec.ac.in') ? null : USER_MSG.akgec),
        async (v) => ((await q.emailTaken(knex, v)) ? USER_MSG.emailTaken : null),
      ],
    }),
    first_name: char({ maxLength: 50 }),
    last_name: char({ ...OPTIONAL_TEXT, maxLength: 50 }),
    year: choice({ choices: YEAR_CHOICES }),
  });
}

/** UserProfileFillSerializer: photo (ImageField, required), branch, domain (slug: name), dob, urls, bio, achievements, hosteller. */
export function profileFillSerializer(knex: Knex) {
  return serializer({
    photo: image(),
    branch: char({ ...OPTIONAL_TEXT, maxLength: 10 }),
    domain: slugRelated({ slugField: 'name', lookup: (v: string) => q.domainByName(knex, v) }),
    dob: date({ required: false, allowNull: true }),
    linkedin_url: url({ ...OPTIONAL_TEXT, maxLength: 200 }),
    bio: char(OPTIONAL_TEXT),
    github_url: url({ ...OPTIONAL_TEXT, maxLength: 200 }),
    achievements: char(OPTIONAL_TEXT),
    hosteller: boolean({ required: false }),
  });
}

/** full_name.strip().split(' ', 1) */
export function splitFullName(fullName: string): { first: string; last: string } {
  const i = fullName.indexOf(' ');
  return i < 0 ? { first: fullName, last: '' } : { first: fullName.slice(0, i), last: fullName.slice(i + 1) };
}

/** StudentRegistrationSerializer */
export const studentRegistrationSerializer = serializer({
  full_name: refine(char({ maxLength: 150 }), (v) => {
    const { first, last } = splitFullName(v);
    // The User columns hold 50 characters each (the original failed in the database).
    return pyLen(first) > 50 || pyLen(last) > 50 ? 'First and last name may have at most 50 characters each.' : null;
  }),
  email: email({ maxLength: 254 }),
  password: char({ validators: [djangoMinLength(8)] }),
  branch: choice({ choices: BRANCH_CHOICES }),
  year: choice({ choices: STUDENT_YEAR_CHOICES }),
  student_number: char({ maxLength: 50 }),
  hosteller: boolean(),
  gender: choice({ choices: GENDER_CHOICES }),
});

/** EmailVerificationSerializer */
export const emailVerificationSerializer = serializer({ email: email(), otp: char({ maxLength: 6 }) });

/** LoginSerializer (students) */
export const studentLoginSerializer = serializer({ email: email(), password: char() });
