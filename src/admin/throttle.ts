// Repeated admin log-in failures are throttled (the original had no such limit), over the server's
// counter store (src/drf/throttling.ts), so attempts count across processes with Redis. Each attempt is
// counted before its password is checked: a burst of concurrent guesses cannot all pass a check made
// before any of them failed. Two windows: per client address and account (a successful log-in forgets
// it), and per client address alone with a higher limit that a success does not reset, so one address
// cannot try a few passwords on every account (password spraying) or reset its count by logging in to
// an account of its own.
import type { LoginThrottle } from '../context.ts';
import type { CounterStore } from '../drf/throttling.ts';

export interface ThrottlePolicy {
  /** Attempts allowed within the window; later ones are refused until the window ends. */
  maxFailures: number;
  windowSeconds: number;
}

const DEFAULT_ACCOUNT_POLICY: ThrottlePolicy = { maxFailures: 5, windowSeconds: 15 * 60 };
/** Far above what the organisers of one network do in 15 minutes, far below a spraying run. */
const DEFAULT_ADDRESS_POLICY: ThrottlePolicy = { maxFailures: 50, windowSeconds: 15 * 60 };

export class StoreLoginThrottle implements LoginThrottle {
  constructor(
    private readonly store: CounterStore,
    private readonly accountPolicy: ThrottlePolicy = DEFAULT_ACCOUNT_POLICY,
    private readonly addressPolicy: ThrottlePolicy = DEFAULT_ADDRESS_POLICY,
  ) {}

  private accountKey(address: string, username: string): string {
    return `admin-login:${address}:${username.toLowerCase().slice(0, 254)}`;
  }

  private addressKey(address: string): string {
    return `admin-login-address:${address}`;
  }

  async attempt(address: string, username: string): Promise<number> {
    const [account, all] = await Promise.all([
      this.store.hit(this.accountKey(address, username), this.accountPolicy.windowSeconds),
      this.store.hit(this.addressKey(address), this.addressPolicy.windowSeconds),
    ]);
    const accountOver = account.count > this.accountPolicy.maxFailures;
    const addressOver = all.count > this.addressPolicy.maxFailures;
    if (!accountOver && !addressOver) return 0;
    return Math.max(1, accountOver ? account.ttlSeconds : 0, addressOver ? all.ttlSeconds : 0);
  }

  async success(address: string, username: string): Promise<void> {
    await this.store.reset(this.accountKey(address, username));
  }
}
