/**
 * Requests held while a deployment scaled to zero starts a replica (Knative's activator, inside
 * the listener). A request that finds no endpoint in rotation is held, up to `maxHeld` at once,
 * for at most `timeoutMs`, and the router asks for a replica (`onDemand`). As soon as an endpoint
 * is in rotation the held requests go to it in arrival order; one still held at its deadline gets
 * 503 with a `Retry-After`. Without activation (the default) such a request gets 503 at once.
 */

import type { RouterTimers } from './timers.js';

/** What the activator needs of a held client connection. */
export interface Holdable {
  /** Sends the held request upstream; false when there is still no endpoint (it stays held). */
  resumeHeld(): boolean;
  /** Answers the held request 503 with `Retry-After: retryAfterSeconds`. */
  expireHeld(retryAfterSeconds: number): void;
}

export interface ActivationOptions {
  /** Longest a request is held (the spec's `scaleToZero.activationTimeoutSeconds`). */
  timeoutMs: number;
  /** Requests held at once; more get 503 at once. Default 1000. */
  maxHeld?: number;
  /** Called when a request is held and nothing was held before it (ask for a replica). */
  onDemand: () => void;
  /** Called with the time from the first held request to the first one sent on (a cold start). */
  onColdStart?: (ms: number) => void;
}

interface Held {
  conn: Holdable;
  since: number;
}

export class Activator {
  private queue: Held[] = [];
  private firstHeldAt: number | null = null;
  private timer: unknown = null;

  constructor(
    private options: ActivationOptions,
    private readonly timers: RouterTimers,
  ) {}

  /** New settings (the spec changed); what is held stays held. */
  update(options: ActivationOptions): void {
    this.options = options;
  }

  get size(): number {
    return this.queue.length;
  }

  /** Holds a request; false when the queue is full (answer 503 at once). */
  hold(conn: Holdable): boolean {
    if (this.queue.length >= (this.options.maxHeld ?? 1000)) return false;
    const now = this.timers.now();
    const first = this.queue.length === 0;
    this.queue.push({ conn, since: now });
    if (this.firstHeldAt === null) this.firstHeldAt = now;
    this.arm();
    if (first) this.options.onDemand();
    return true;
  }

  /** While something is held: every 100 ms, answer what waited too long. */
  private arm(): void {
    if (this.timer !== null) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.expire(this.timers.now());
      if (this.queue.length > 0) this.arm();
    }, 100);
  }

  /** Sends on what can be sent, oldest first (an endpoint came into rotation). */
  flush(): void {
    if (this.queue.length === 0) return;
    const now = this.timers.now();
    const left: Held[] = [];
    let sent = false;
    for (const h of this.queue) {
      if (h.conn.resumeHeld()) sent = true;
      else left.push(h);
    }
    this.queue = left;
    if (sent && this.firstHeldAt !== null) {
      this.options.onColdStart?.(now - this.firstHeldAt);
      this.firstHeldAt = left.length ? now : null;
    }
  }

  /** Answers 503 to requests held past the timeout. */
  expire(now: number): void {
    if (this.queue.length === 0) return;
    const deadline = now - this.options.timeoutMs;
    const retryAfter = Math.max(1, Math.ceil(this.options.timeoutMs / 1000));
    const keep: Held[] = [];
    for (const h of this.queue) {
      if (h.since <= deadline) h.conn.expireHeld(retryAfter);
      else keep.push(h);
    }
    this.queue = keep;
    if (keep.length === 0) this.firstHeldAt = null;
  }

  /** Forgets a connection that closed while held. */
  drop(conn: Holdable): void {
    const i = this.queue.findIndex((h) => h.conn === conn);
    if (i >= 0) this.queue.splice(i, 1);
    if (this.queue.length === 0) this.firstHeldAt = null;
  }

  /** Answers everything held and stops (activation switched off, router closing). */
  release(): void {
    this.timers.clearTimeout(this.timer);
    this.timer = null;
    const all = this.queue;
    this.queue = [];
    this.firstHeldAt = null;
    for (const h of all) h.conn.expireHeld(1);
  }
}
