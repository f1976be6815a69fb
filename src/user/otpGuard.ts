// Wrong-OTP guard: at most MAX_OTP_ATTEMPTS checks of a user's codes within ten minutes; the attempt
// that reaches the bound without the right code, and every later one, marks every unused OTP of the
// user used, so a 6-digit code cannot be brute-forced within its 10 minutes. The attempt is counted
// BEFORE the code is checked, atomically (src/drf/throttling.ts: Redis INCR across processes with
// REDIS_URL, else in the process), so concurrent guesses cannot all be checked: 29 wrong guesses
// sent at once leave the right code no chance after the fifth. A newly issued code starts again.
import { detail } from '../drf/errors.ts';
import type { CounterStore } from '../drf/throttling.ts';

export const MAX_OTP_ATTEMPTS = 5;
const WINDOW_SECONDS = 10 * 60;

export class OtpAttemptGuard {
  constructor(private readonly store: CounterStore) {}

  /** Counts one attempt at the user's codes; its number within the window (check it only while it is
   * at most MAX_OTP_ATTEMPTS). A store outage refuses the attempt (503) rather than leaving it uncounted. */
  async attempt(userId: number): Promise<number> {
    try {
      return (await this.store.hit(`otp:${userId}`, WINDOW_SECONDS)).count;
    } catch {
      throw detail(503, 'Service temporarily unavailable, try again later.');
    }
  }

  /** A right code, or a new code issued: the count starts again. */
  async reset(userId: number): Promise<void> {
    await this.store.reset(`otp:${userId}`).catch(() => undefined);
  }
}

/** Whether the attempt numbered `n` may have its code checked. */
export const mayCheck = (n: number): boolean => n <= MAX_OTP_ATTEMPTS;
/** Whether a wrong code at attempt `n` (or any attempt past the bound) burns the user's codes. */
export const burnsCodes = (n: number): boolean => n >= MAX_OTP_ATTEMPTS;
