/**
 * Readiness seen as soon as it is true, not one health interval later.
 *
 * Docker runs a HEALTHCHECK's first check one `Interval` after the container starts (engines
 * before API 1.44 have no `StartInterval`; this one is 20.10, API 1.41), so a replica that
 * listens 50 ms after start is reported `starting` for a whole `periodSeconds`. Kubernetes runs
 * the first readiness probe as soon as the container starts (after `initialDelaySeconds`, 0 by
 * default). The StartupProber closes that gap: for a container that has just started it runs the
 * replica's own readiness probe at once, then often (every 100 ms, growing to 500 ms) until the
 * first success, and stops there; from then on Docker's HEALTHCHECK keeps the period, and its
 * `unhealthy` still takes the replica out. It also stops when Docker's own checks have had time
 * to decide (`failureThreshold + 1` periods) or the container goes away.
 *
 * What a pass means is keyed by container id and start time, so a container restarted by its
 * restart policy starts again from `starting`.
 */
import type { Clock } from '../../src/util/clock.js';

/** How the first probes reach the replica: HTTP to its published port, or a command inside it. */
export type StartupCheck =
  | { kind: 'http'; host: string; port: number; path: string; https: boolean; headers: Record<string, string> }
  | { kind: 'exec'; command: string[] };

/** One started container whose readiness is not known yet. */
export interface StartupTarget {
  /** Container id and its `State.StartedAt`: one start of one container. */
  key: string;
  containerId: string;
  deployment?: string | undefined;
  zone?: string | undefined;
  check: StartupCheck;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
}

export interface StartupProberOptions {
  clock: Clock;
  /** Runs one probe; resolves true on success. Rejections count as failures. */
  probe: (target: StartupTarget, timeoutMs: number, signal: AbortSignal) => Promise<boolean>;
  /** Called once per start when its first probe passes. */
  onReady: (target: StartupTarget) => void;
  /** First and largest gap between probes (defaults 100 ms and 500 ms). */
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** Passes remembered at most (oldest forgotten first). */
  maxEntries?: number;
}

export class StartupProber {
  /** Per container: the start being probed. */
  private readonly running = new Map<string, { key: string; ac: AbortController }>();
  /** Per container: the start that passed its first probe. */
  private readonly passedStart = new Map<string, string>();
  private readonly minInterval: number;
  private readonly maxInterval: number;
  private readonly maxEntries: number;
  private closed = false;

  constructor(private readonly o: StartupProberOptions) {
    this.minInterval = o.minIntervalMs ?? 100;
    this.maxInterval = o.maxIntervalMs ?? 500;
    this.maxEntries = o.maxEntries ?? 10_000;
  }

  /**
   * Starts probing one start of a container, once: a start already probed or passed is left
   * alone; a newer start of the same container replaces an older one.
   */
  track(target: StartupTarget): void {
    if (this.closed) return;
    const id = target.containerId;
    if (this.running.get(id)?.key === target.key || this.passedStart.get(id) === target.key) return;
    this.forget(id);
    const ac = new AbortController();
    const entry = { key: target.key, ac };
    this.running.set(id, entry);
    void this.loop(target, ac.signal).finally(() => {
      if (this.running.get(id) === entry) this.running.delete(id);
    });
  }

  /** True when this start (`startKey`) of the container has passed its first readiness probe. */
  passed(containerId: string, key: string): boolean {
    return this.passedStart.get(containerId) === key;
  }

  /**
   * Probes one start once, now (an observe that meets a `starting` container with no verdict
   * yet: another process started it, or this one has just begun): true when it passes, which
   * counts as the first success (remembered, watchers told, the loop stopped).
   */
  async checkNow(target: StartupTarget): Promise<boolean> {
    if (this.closed) return false;
    if (this.passed(target.containerId, target.key)) return true;
    const ac = new AbortController();
    const ok = await this.o.probe(target, target.timeoutMs, ac.signal).catch(() => false);
    if (!ok || this.closed || this.passed(target.containerId, target.key)) return ok;
    const running = this.running.get(target.containerId);
    if (running?.key === target.key) {
      running.ac.abort();
      this.running.delete(target.containerId);
    }
    this.remember(target);
    this.o.onReady(target);
    return true;
  }

  /** Whether a probe loop is running for this container. */
  probing(containerId: string): boolean {
    return this.running.has(containerId);
  }

  /** Stops probing and forgets the container (it is gone, or Docker's health check has decided). */
  forget(containerId: string): void {
    this.running.get(containerId)?.ac.abort();
    this.running.delete(containerId);
    this.passedStart.delete(containerId);
  }

  close(): void {
    this.closed = true;
    for (const { ac } of this.running.values()) ac.abort();
    this.running.clear();
    this.passedStart.clear();
  }

  private async loop(t: StartupTarget, signal: AbortSignal): Promise<void> {
    const { clock } = this.o;
    try {
      if (t.initialDelayMs > 0) await clock.sleep(t.initialDelayMs, signal);
      // after this long Docker's own checks have passed or failed `failureThreshold` times
      const deadline = clock.now() + t.periodMs * (t.failureThreshold + 1);
      let gap = this.minInterval;
      for (;;) {
        const ok = await this.o.probe(t, t.timeoutMs, signal).catch(() => false);
        if (signal.aborted) return;
        if (ok) {
          this.remember(t);
          this.o.onReady(t);
          return;
        }
        if (clock.now() >= deadline) return;
        await clock.sleep(gap, signal);
        gap = Math.min(this.maxInterval, Math.ceil(gap * 1.5));
      }
    } catch {
      // aborted: forgotten or closed
    }
  }

  private remember(t: StartupTarget): void {
    this.passedStart.delete(t.containerId);
    this.passedStart.set(t.containerId, t.key);
    while (this.passedStart.size > this.maxEntries) {
      const oldest = this.passedStart.keys().next().value;
      if (oldest === undefined) break;
      this.passedStart.delete(oldest);
    }
  }
}
