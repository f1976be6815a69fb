// Wrong-OTP guard: after MAX_OTP_FAILURES wrong codes for one user within ten minutes, every unused
// OTP of that user is marked used, so a 6-digit code cannot be brute-forced within its 10 minutes.
// One per process, held by the application context.

const MAX_OTP_FAILURES = 5;
const WINDOW_MS = 10 * 60 * 1000;

export class OtpFailureGuard {
  private readonly failures = new Map<number, { count: number; since: number }>();

  /** Records a wrong code; true when the user's codes must now be burnt. */
  failure(userId: number): boolean {
    const now = Date.now();
    const f = this.failures.get(userId);
    if (!f || now - f.since > WINDOW_MS) {
      this.failures.set(userId, { count: 1, since: now });
      return MAX_OTP_FAILURES <= 1;
    }
    f.count++;
    if (f.count >= MAX_OTP_FAILURES) {
      this.failures.delete(userId);
      return true;
    }
    return false;
  }

  success(userId: number): void {
    this.failures.delete(userId);
  }
}
