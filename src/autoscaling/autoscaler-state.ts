import type { Autoscaling } from '../spec/autoscaling.js';

/** A recommendation as the metrics gave it, before stabilization (clamped to the bounds). */
export interface TimedRecommendation {
  at: number;
  replicas: number;
}

/** A change of the count the autoscaler made: above 0 added, below 0 removed. */
export interface ScaleChange {
  at: number;
  change: number;
}

/** The fast path (Knative's panic mode) while it lasts. */
export interface PanicState {
  /** When it started. */
  since: number;
  /** When a short-window value last reached the threshold; it ends `panicHoldMs` after. */
  lastTriggeredAt: number;
  /** The most replicas it asked for since it started: it never asks for fewer. */
  peak: number;
}

export interface LastScale {
  at: number;
  from: number;
  to: number;
  reason: string;
}

/**
 * What the autoscaler remembers between decisions, kept in the store so that a restarted or newly
 * elected controller takes the same decisions. Plain JSON (numbers, arrays, null), bounded: only
 * what the windows and policy periods can still see is kept (see `pruneState`).
 */
export interface AutoscalerState {
  /** Oldest first; pruned to the longest stabilization window, and compacted (`compactRecommendations`). */
  recommendations: TimedRecommendation[];
  /** Oldest first; pruned to the longest policy period. */
  scaleEvents: ScaleChange[];
  panic: PanicState | null;
  /** When the listener last saw a request (the idle clock of scale to zero). */
  lastActiveAt: number;
  lastScale: LastScale | null;
}

/** A first decision's state: a new deployment counts as active now, so it waits idleSeconds before zero. */
export function initialAutoscalerState(now: number): AutoscalerState {
  return { recommendations: [], scaleEvents: [], panic: null, lastActiveAt: now, lastScale: null };
}

/** How far back the state must see: the longest stabilization window and the longest policy period. */
export function stateHorizons(spec: Autoscaling): { recommendationsMs: number; eventsMs: number } {
  const { scaleUp, scaleDown } = spec.behavior;
  const periods = [...scaleUp.policies, ...scaleDown.policies].map((p) => p.periodSeconds);
  return {
    recommendationsMs: 1000 * Math.max(scaleUp.stabilizationWindowSeconds, scaleDown.stabilizationWindowSeconds),
    eventsMs: 1000 * Math.max(0, ...periods),
  };
}

/**
 * Drops what no window can use. The windows ask "the lowest/highest recommendation newer than a
 * cutoff", a question about a suffix of the list; an entry answers it only if it is above every
 * later entry or below every later entry (otherwise a later one answers both ways, and is in every
 * window the older one is in). So dropping the rest changes no answer, and what is left is at
 * most two entries per replica count in [min, max].
 */
export function compactRecommendations(list: readonly TimedRecommendation[]): TimedRecommendation[] {
  const sorted = [...list].sort((a, b) => a.at - b.at);
  const kept: TimedRecommendation[] = [];
  let hi = Number.NEGATIVE_INFINITY;
  let lo = Number.POSITIVE_INFINITY;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const r = sorted[i]!;
    if (r.replicas > hi || r.replicas < lo) kept.push({ at: r.at, replicas: r.replicas });
    hi = Math.max(hi, r.replicas);
    lo = Math.min(lo, r.replicas);
  }
  return kept.reverse();
}

/** The state with only what `spec`'s windows and periods can still see at `now`. */
export function pruneState(state: AutoscalerState, now: number, spec: Autoscaling): AutoscalerState {
  const h = stateHorizons(spec);
  return {
    recommendations: compactRecommendations(state.recommendations.filter((r) => r.at > now - h.recommendationsMs)),
    scaleEvents: state.scaleEvents.filter((e) => e.at > now - h.eventsMs).map((e) => ({ ...e })),
    panic: state.panic ? { ...state.panic } : null,
    lastActiveAt: state.lastActiveAt,
    lastScale: state.lastScale ? { ...state.lastScale } : null,
  };
}
