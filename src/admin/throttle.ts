// Repeated admin log-in failures are throttled (the original had no such limit), over the server's
// counter store (src/drf/throttling.ts), so attempts count across processes with Redis. Each attempt is
// counted before its password is checked: a burst of concurrent guesses cannot all pass a check made
// before any of them failed. A successful log-in forgets the key.
import type { LoginThrottle } from '../context.ts';
import type { CounterStore } from '../drf/throttling.ts';

export interface ThrottlePolicy {
  /** Attempts allowed within the window; later ones are refused until the window ends. */
  maxFailures: number;
  windowSeconds: number;
}

const DEFAULT_LOGIN_POLICY: ThrottlePolicy = { maxFailures: 5, windowSeconds: 15 * 60 };

export class StoreLoginThrottle implements LoginThrottle {
  constructor(
    private readonly store: CounterStore,
    private readonly policy: ThrottlePolicy = DEFAULT_LOGIN_POLICY,
  ) {}

  private key(key: string): string {
    return `admin-login:${key}`;
  }

  async attempt(key: string): Promise<number> {
    const hit = await this.store.hit(this.key(key), this.policy.windowSeconds);
    return hit.count > this.policy.maxFailures ? Math.max(1, hit.ttlSeconds) : 0;
  }

  async success(key: string): Promise<void> {
    await this.store.reset(this.key(key));
  }
}
