import type { Clock } from '../util/clock.js';

export interface DomainHealthState {
  healthy: boolean;
  reason?: string;
  /** Since when it has been healthy again (set after a recovery): placement's return window. */
  since?: number;
}

export interface DomainHealthOptions {
  /** Consecutive failures of one kind that, lasting `failureWindowMs`, mark a domain unhealthy. */
  failureThreshold?: number;
  /** How long a failure streak must last before it counts: a passing blip is not an outage. */
  failureWindowMs?: number;
  /**
   * How long a domain's replicas may all stay unready, while the deployment's replicas elsewhere
   * are ready, before the domain counts as failing (long: clouds take a while to start tasks).
   */
  unreadyWindowMs?: number;
  /** How long an unhealthy domain rests before it is tried again (doubling on each relapse, capped). */
  cooldownMs?: number;
  maxCooldownMs?: number;
}

/** What failed: the provider's API, writes to the zone, every replica in it, or none becoming ready. */
export type FailureSource = 'api' | 'apply' | 'replicas' | 'unready';

interface Streak {
  count: number;
  since: number;
  message: string;
}

interface Entry {
  streaks: Map<FailureSource, Streak>;
  unhealthySince?: number;
  reason?: string;
  retryAt?: number;
  cooldownMs: number;
  healthySince?: number;
  /** Set when the provider itself reports the zone's health: it overrides the breaker. */
  reported?: { healthy: boolean; reason?: string };
}

const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);

/**
 * Health of failure domains (`target/zone`), as a circuit breaker: a streak of failures of one
 * kind (API errors, failed writes, all replicas failing) past a threshold and lasting a window
 * opens it (unhealthy, with the reason and since when); after a cooldown it closes on probation
 * (healthy, with `since`, so placement waits out its return window before moving replicas back);
 * a relapse soon after opens it again with a doubled cooldown. A provider that reports zone
 * health itself is believed over the breaker.
 */
export class DomainHealth {
  private readonly entries = new Map<string, Entry>();
  private readonly threshold: number;
  private readonly window: number;
  private readonly unreadyWindow: number;
  private readonly cooldown: number;
  private readonly maxCooldown: number;

  constructor(
    private readonly clock: Clock,
    options: DomainHealthOptions = {},
  ) {
    this.threshold = options.failureThreshold ?? 3;
    this.window = options.failureWindowMs ?? 20_000;
    this.unreadyWindow = options.unreadyWindowMs ?? 180_000;
    this.cooldown = options.cooldownMs ?? 30_000;
    this.maxCooldown = options.maxCooldownMs ?? 600_000;
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      e = { streaks: new Map(), cooldownMs: this.cooldown };
      this.entries.set(key, e);
    }
    return e;
  }

  failure(key: string, source: FailureSource, message: string): void {
    const e = this.entry(key);
    const now = this.clock.now();
    const s = e.streaks.get(source) ?? { count: 0, since: now, message };
    s.count += 1;
    s.message = message;
    e.streaks.set(source, s);
    const window = source === 'unready' ? this.unreadyWindow : this.window;
    if (e.unhealthySince === undefined && s.count >= this.threshold && now - s.since >= window) {
      if (e.healthySince !== undefined && now - e.healthySince < e.cooldownMs * 2)
        e.cooldownMs = Math.min(this.maxCooldown, e.cooldownMs * 2);
      e.unhealthySince = now;
      e.reason = `${message} (since ${hhmm(s.since)})`;
      e.retryAt = now + e.cooldownMs;
      e.healthySince = undefined;
    }
  }

  success(key: string, source: FailureSource): void {
    this.entries.get(key)?.streaks.delete(source);
  }

  /** The provider's own word on a zone (zone status APIs, the memory provider's outage flag). */
  report(key: string, healthy: boolean, reason?: string): void {
    const e = this.entry(key);
    const now = this.clock.now();
    const was = e.reported?.healthy ?? true;
    e.reported = { healthy, ...(reason ? { reason } : {}) };
    if (!healthy && was) {
      e.unhealthySince = now;
      e.reason = `${reason ?? 'reported unhealthy by the provider'} (since ${hhmm(now)})`;
      e.retryAt = undefined;
      e.healthySince = undefined;
    }
    if (healthy && !was) {
      e.unhealthySince = undefined;
      e.retryAt = undefined;
      e.streaks.clear();
      e.healthySince = now;
    }
  }

  get(key: string): DomainHealthState {
    const e = this.entries.get(key);
    if (!e) return { healthy: true };
    const now = this.clock.now();
    if (e.unhealthySince !== undefined) {
      if (e.reported?.healthy === false || e.retryAt === undefined || now < e.retryAt)
        return { healthy: false, ...(e.reason ? { reason: e.reason } : {}) };
      // cooldown over: on probation
      e.unhealthySince = undefined;
      e.retryAt = undefined;
      e.streaks.clear();
      e.healthySince = now;
    }
    return e.healthySince !== undefined ? { healthy: true, since: e.healthySince } : { healthy: true };
  }

  /**
   * The earliest end of a cooldown still ahead: when an unhealthy domain goes on probation by
   * time alone (a domain the provider reports down waits for its word instead). Undefined if none.
   */
  nextRetryAt(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) {
      if (e.unhealthySince === undefined || e.retryAt === undefined || e.reported?.healthy === false) continue;
      if (next === undefined || e.retryAt < next) next = e.retryAt;
    }
    return next;
  }

  snapshot(keys: Iterable<string>): Map<string, DomainHealthState> {
    return new Map([...keys].map((k) => [k, this.get(k)]));
  }
}
