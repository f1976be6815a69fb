// Repeated admin log-in failures are throttled (the original had no such limit). This per-process
// implementation sits behind the LoginThrottle interface of the application context, so a shared one
// (Redis, with the DRF-style throttles) can replace it without touching the admin.
import type { LoginThrottle } from '../context.ts';
import type { CounterStore } from '../drf/throttling.ts';

export interface ThrottlePolicy {
  /** Failures allowed within the window before the key is blocked. */
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  /** Keys remembered at most (oldest forgotten first), so a flood of usernames cannot grow memory. */
  maxKeys: number;
}

const DEFAULT_LOGIN_POLICY: ThrottlePolicy = { maxFailures: 5, windowMs: 15 * 60_000, blockMs: 15 * 60_000, maxKeys: 10_000 };

interface Entry {
  failures: number;
  firstAt: number;
  blockedUntil: number;
}

export class MemoryLoginThrottle implements LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: ThrottlePolicy = DEFAULT_LOGIN_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  async retryAfterSeconds(key: string): Promise<number> {
    const e = this.entries.get(key);
    if (!e) return 0;
    const left = e.blockedUntil - this.now();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  async failure(key: string): Promise<void> {
    const t = this.now();
    let e = this.entries.get(key);
    if (!e || t - e.firstAt > this.policy.windowMs) e = { failures: 0, firstAt: t, blockedUntil: 0 };
    e.failures += 1;
    if (e.failures >= this.policy.maxFailures) e.blockedUntil = t + this.policy.blockMs;
    this.entries.delete(key);
    this.entries.set(key, e);
    while (this.entries.size > this.policy.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
  }

  async success(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

/** The same policy over the server's counter store (src/drf/throttling.ts), so failures count across
 * processes with Redis. The block lasts until the window of the first failure ends. */
export class StoreLoginThrottle implements LoginThrottle {
  constructor(
    private readonly store: CounterStore,
    private readonly policy: ThrottlePolicy = DEFAULT_LOGIN_POLICY,
  ) {}

  private key(key: string): string {
    return `admin-login:${key}`;
  }

  async retryAfterSeconds(key: string): Promise<number> {
    const w = await this.store.peek(this.key(key));
    return w.count >= this.policy.maxFailures ? Math.max(1, w.ttlSeconds) : 0;
  }

  async failure(key: string): Promise<void> {
    await this.store.hit(this.key(key), Math.ceil(Math.max(this.policy.windowMs, this.policy.blockMs) / 1000));
  }

  async success(key: string): Promise<void> {
    await this.store.reset(this.key(key));
  }
}
