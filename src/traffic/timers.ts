/** Clock and timers the router uses for health checks, ejection, drain timeouts and stats. */
export interface RouterTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Wall clock and Node timers (unref'd: a router alone does not keep the process alive). */
export const systemTimers: RouterTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Timers that fire only when `advance` moves the clock past them (in due order). For tests. */
export class ManualTimers implements RouterTimers {
  private t: number;
  private seq = 0;
  private pending: ManualTimer[] = [];
  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const timer: ManualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.pending.push(timer);
    return timer;
  }
  clearTimeout(handle: unknown): void {
    if (handle) (handle as ManualTimer).cancelled = true;
  }
  /** Timers not yet fired or cancelled. */
  get size(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }
  /** Moves the clock by `ms`, firing every timer due on the way (timers set while firing included). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.pending = this.pending.filter((p) => !p.cancelled);
      let next: ManualTimer | undefined;
      for (const p of this.pending)
        if (p.at <= end && (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p;
      if (!next) break;
      this.pending.splice(this.pending.indexOf(next), 1);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
