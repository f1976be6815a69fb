// Shared pieces of the User app's views: OTP mails, the one-transaction "write + send mail" pattern,
// the wrong-OTP guard.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { ApiRequest } from '../drf/api.ts';
import { jsonError } from '../drf/errors.ts';

/** f"{random.randint(100000, 999999)}" */
export function generateOtp(): string {
  return String(crypto.randomInt(100000, 1000000));
}

export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23505';
}

class MailFailed extends Error {}

/** Sends a mail inside the write's transaction: when it cannot be sent, nothing is written. */
export async function sendOrFail(req: ApiRequest, mail: { to: string; subject: string; text: string }): Promise<void> {
  try {
    await req.ctx.mailer.send(mail);
  } catch (err) {
    req.ctx.log.error({ err, to: mail.to, subject: mail.subject }, 'mail could not be sent');
    throw new MailFailed();
  }
}

/** The answer when the mail of a write could not be sent (the write was rolled back). */
const mailFailedError = () => jsonError(503, { error: 'The email could not be sent. Nothing was changed; please try again later.' });

export async function inTransactionWithMail<T>(knex: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  try {
    return await knex.transaction(work);
  } catch (err) {
    if (err instanceof MailFailed) throw mailFailedError();
    throw err;
  }
}
