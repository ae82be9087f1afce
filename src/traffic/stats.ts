// Sliding-window request statistics per revision: one slot per second in a ring, each with
// counts and a log-scale latency histogram (10%-wide buckets), so recording costs a few
// array writes and `stats()` can answer any window up to the ring's length.

/** Latency histogram buckets: bucket i covers (B0 * R^(i-1), B0 * R^i] ms; bucket 0 is <= B0. */
const B0 = 0.05;
const R = 1.1;
const LOG_R = Math.log(R);
const NB = 160; // up to 0.05 * 1.1^159 ≈ 190 s; beyond lands in the last bucket

export function bucketOf(ms: number): number {
  if (ms <= B0) return 0;
  const i = Math.ceil(Math.log(ms / B0) / LOG_R);
  return i >= NB ? NB - 1 : i;
}

/** The upper bound (ms) of a bucket: what a percentile inside it is reported as. */
export function bucketUpper(i: number): number {
  return B0 * R ** i;
}

class Slot {
  sec = -1;
  requests = 0;
  errors = 0;
  retried = 0;
  /** Summed latency of the requests that ended in this second (ms): Little's law gives concurrency. */
  busyMs = 0;
  hist = new Uint32Array(NB);
  reset(sec: number): void {
    this.sec = sec;
    this.busyMs = 0;
    this.requests = 0;
    this.errors = 0;
    this.retried = 0;
    this.hist.fill(0);
  }
}

export class WindowStats {
  private readonly slots: Slot[];
  private readonly n: number;
  constructor(maxWindowMs: number) {
    this.n = Math.max(2, Math.ceil(maxWindowMs / 1000) + 1);
    this.slots = Array.from({ length: this.n }, () => new Slot());
  }

  private slot(now: number): Slot {
    const sec = Math.floor(now / 1000);
    const s = this.slots[sec % this.n]!;
    if (s.sec !== sec) s.reset(sec);
    return s;
  }

  record(now: number, latencyMs: number, error: boolean): void {
    const s = this.slot(now);
    s.requests++;
    s.busyMs += latencyMs;
    if (error) s.errors++;
    s.hist[bucketOf(latencyMs)]!++;
  }

  recordRetried(now: number): void {
    this.slot(now).retried++;
  }

  /**
   * Totals over the last `windowMs` (whole seconds, the current one included), and two rates
   * over the time the window has covered so far (`elapsedMs`, up to now): requests per second,
   * and concurrency, the mean number of requests in flight, by Little's law (the summed latency
   * of the requests that ended in the window over its length; a request that began before the
   * window counts whole).
   */
  summary(now: number, windowMs: number) {
    const sec = Math.floor(now / 1000);
    const span = Math.min(this.n - 1, Math.max(1, Math.ceil(windowMs / 1000)));
    let requests = 0;
    let errors = 0;
    let retried = 0;
    let busyMs = 0;
    const hist = new Float64Array(NB);
    for (const s of this.slots) {
      if (s.sec < 0 || s.sec > sec || s.sec <= sec - span) continue;
      requests += s.requests;
      errors += s.errors;
      retried += s.retried;
      busyMs += s.busyMs;
      for (let i = 0; i < NB; i++) hist[i]! += s.hist[i]!;
    }
    const elapsedMs = Math.max(1, now - (sec - span + 1) * 1000);
    return {
      requests,
      errors,
      retried,
      elapsedMs,
      requestsPerSecond: (requests * 1000) / elapsedMs,
      concurrency: busyMs / elapsedMs,
      successRate: requests === 0 ? 1 : (requests - errors) / requests,
      p50Ms: percentile(hist, requests, 0.5),
      p99Ms: percentile(hist, requests, 0.99),
    };
  }
}

function percentile(hist: Float64Array, total: number, q: number): number {
  if (total === 0) return 0;
  const rank = Math.ceil(total * q);
  let acc = 0;
  for (let i = 0; i < NB; i++) {
    acc += hist[i]!;
    if (acc >= rank) return Math.round(bucketUpper(i) * 1000) / 1000;
  }
  return Math.round(bucketUpper(NB - 1) * 1000) / 1000;
}
