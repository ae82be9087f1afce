/** A connection with an idle timeout checked by a TimeoutSweeper. */
export interface Timed {
  /** 0: no timeout. */
  timeoutMs: number;
  /** `sweeper.now` at the last activity (or when the timeout was set). */
  active: number;
  timedOut(): void;
}

/**
 * Idle timeouts of many sockets on one interval timer, instead of a Node timer per socket
 * (`socket.setTimeout` allocates a Timeout per call and re-inserts it on every read and write:
 * about 15 µs a proxied request). Activity stamps a connection with `now`, a clock the sweep
 * advances, so stamping costs a field write. A timeout fires after its idle time, at most two
 * periods late (never early); a period is an eighth of the shortest timeout, within [5 ms, 1 s].
 */
export class TimeoutSweeper {
  /** The time (performance.now()) of the last sweep, or of the first add after an idle spell. */
  now = performance.now();
  private readonly items = new Set<Timed>();
  private timer: NodeJS.Timeout | null = null;
  readonly periodMs: number;

  constructor(shortestTimeoutMs: number) {
    this.periodMs = Math.min(1_000, Math.max(5, Math.floor(shortestTimeoutMs / 8)));
  }

  /** Tracks `t` with timeout `ms` from now (0: none). */
  set(t: Timed, ms: number): void {
    t.timeoutMs = ms;
    t.active = this.now;
    if (this.items.has(t)) return;
    this.items.add(t);
    if (this.timer === null) {
      this.now = performance.now();
      t.active = this.now;
      this.timer = setInterval(() => this.sweep(), this.periodMs);
      this.timer.unref();
    }
  }

  delete(t: Timed): void {
    if (!this.items.delete(t)) return;
    if (this.items.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Connections tracked (for tests). */
  get size(): number {
    return this.items.size;
  }

  private sweep(): void {
    const now = performance.now();
    this.now = now;
    // `active` may be a period old when stamped: wait one more period to never fire early.
    const slack = this.periodMs;
    for (const t of this.items) {
      if (t.timeoutMs > 0 && now - t.active >= t.timeoutMs + slack) {
        t.active = now; // fires again only after another idle period, like socket.setTimeout
        t.timedOut();
      }
    }
  }
}
