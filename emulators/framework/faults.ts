/**
 * Fault knobs every emulator shares. An emulator calls `faults.next(operation, context)` at the top
 * of each request; when it returns a fault, the emulator answers with that fault instead (shaped as
 * its cloud's own error) and records it in the request log like any other answer.
 *
 * Everything is deterministic: the share of throttled calls comes from a seeded generator
 * (mulberry32), so a test that fails fails the same way every run.
 */

/** What an emulator should answer instead of doing the operation. */
export interface InjectedFault {
  /** HTTP status to answer with (e.g. 400 for AWS throttling, 429 for Azure/Google, 500, 503). */
  status: number;
  /** The cloud's error code (`ThrottlingException`, `ServerException`, `TooManyRequests`...). */
  code: string;
  message: string;
  /** Seconds for a Retry-After header, when the cloud sends one. */
  retryAfterSeconds?: number;
  /** `throttle` for the seeded share, `forced` for `failNext`. */
  source: 'throttle' | 'forced';
}

/** Which calls a knob applies to: all when absent. */
export type OperationFilter = readonly string[] | ((operation: string) => boolean) | undefined;

function matches(filter: OperationFilter, operation: string): boolean {
  if (filter === undefined) return true;
  return typeof filter === 'function' ? filter(operation) : filter.includes(operation);
}

/** mulberry32: a small seeded generator; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Forced {
  remaining: number;
  fault: Omit<InjectedFault, 'source'>;
  operations: OperationFilter;
}

export class FaultKnobs {
  private forced: Forced[] = [];
  private lost: Forced[] = [];
  private throttleShare = 0;
  private throttleFault: Omit<InjectedFault, 'source'> | undefined;
  private throttleOps: OperationFilter;
  private rng = seededRandom(42);
  /** Added latency per call, in ms (real time: use small values; tests time out on it, not sleep). */
  latencyMs = 0;
  /** Zones (availability zones) that are down. Each emulator decides what a zone outage does. */
  readonly downZones = new Set<string>();
  /** Regions that are down: every call to them fails with the emulator's "unavailable" error. */
  readonly downRegions = new Set<string>();
  /** How many faults were injected, by source. */
  readonly injected = { throttle: 0, forced: 0 };

  /**
   * Throttle a share (0..1) of calls, chosen by a seeded generator. `fault` is the cloud's throttling
   * answer, e.g. `{ status: 400, code: 'ThrottlingException', message: 'Rate exceeded' }`.
   * `share: 0` turns it off.
   */
  throttle(
    share: number,
    fault: Omit<InjectedFault, 'source'>,
    options: { seed?: number; operations?: OperationFilter } = {},
  ): void {
    this.throttleShare = share;
    this.throttleFault = fault;
    this.throttleOps = options.operations;
    this.rng = seededRandom(options.seed ?? 42);
  }

  /**
   * The next `n` matching calls are carried out, but their answer is lost and replaced by `fault`
   * (a timeout or 5xx after the write committed): for idempotency tests. Emulators call
   * `lostAnswer(operation)` after doing the work.
   */
  loseAnswers(n: number, fault: Omit<InjectedFault, 'source'>, operations?: OperationFilter): void {
    this.lost.push({ remaining: n, fault, operations });
  }

  /** The fault replacing this call's answer, when `loseAnswers` asked for one. */
  lostAnswer(operation: string): InjectedFault | undefined {
    const f = this.lost.find((x) => x.remaining > 0 && matches(x.operations, operation));
    if (!f) return undefined;
    f.remaining -= 1;
    this.lost = this.lost.filter((x) => x.remaining > 0);
    this.injected.forced += 1;
    return { ...f.fault, source: 'forced' };
  }

  /** The next `n` matching calls fail with `fault` (e.g. a 500, an AccessDenied). */
  failNext(n: number, fault: Omit<InjectedFault, 'source'>, operations?: OperationFilter): void {
    this.forced.push({ remaining: n, fault, operations });
  }

  zoneDown(zone: string): void {
    this.downZones.add(zone);
  }
  zoneUp(zone: string): void {
    this.downZones.delete(zone);
  }
  regionDown(region: string): void {
    this.downRegions.add(region);
  }
  regionUp(region: string): void {
    this.downRegions.delete(region);
  }

  /** Clears every knob (not the counters). */
  reset(): void {
    this.forced = [];
    this.lost = [];
    this.throttleShare = 0;
    this.throttleFault = undefined;
    this.latencyMs = 0;
    this.downZones.clear();
    this.downRegions.clear();
  }

  /** Decides whether this call fails. Forced faults come first, then the throttled share. */
  next(operation: string): InjectedFault | undefined {
    const f = this.forced.find((x) => x.remaining > 0 && matches(x.operations, operation));
    if (f) {
      f.remaining -= 1;
      this.forced = this.forced.filter((x) => x.remaining > 0);
      this.injected.forced += 1;
      return { ...f.fault, source: 'forced' };
    }
    if (this.throttleShare > 0 && this.throttleFault && matches(this.throttleOps, operation)) {
      if (this.rng() < this.throttleShare) {
        this.injected.throttle += 1;
        return { ...this.throttleFault, source: 'throttle' };
      }
    }
    return undefined;
  }

  /** Waits the added latency (real time), or resolves at once when there is none. */
  async delay(signal?: AbortSignal): Promise<void> {
    if (this.latencyMs <= 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, this.latencyMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
