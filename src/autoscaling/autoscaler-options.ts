/** The autoscaler's tunables that are not in the spec (the controller's settings). */
export interface AutoscalerOptions {
  /** Kubernetes HPA's tolerance: no change while |value / target - 1| <= tolerance. */
  tolerance: number;
  /**
   * A sample older than this (by `sampledAt`) is stale and its metric held. Default 15 s: one HPA
   * sync period, while the data planes report every 250 ms to 1 s.
   */
  staleAfterMs: number;
  /** The fast path starts when a short-window value reaches this multiple of its target (Knative: 2). */
  panicThreshold: number;
  /** The fast path lasts at least this long after the threshold was last reached (Knative's stable window). */
  panicHoldMs: number;
}

export const DEFAULT_AUTOSCALER_OPTIONS: Readonly<AutoscalerOptions> = Object.freeze({
  tolerance: 0.1,
  staleAfterMs: 15_000,
  panicThreshold: 2,
  panicHoldMs: 60_000,
});

/** The defaults with what is given (`undefined` fields keep their default). */
export function autoscalerOptions(given: Partial<AutoscalerOptions> = {}): AutoscalerOptions {
  const out = { ...DEFAULT_AUTOSCALER_OPTIONS };
  for (const key of Object.keys(out) as Array<keyof AutoscalerOptions>) {
    const v = given[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}
