// Endpoint choice. Two stages, both deterministic:
//  1. a revision, by smooth weighted round robin over the revisions that have a weight > 0 and
//     at least one endpoint in rotation (nginx's algorithm: every pick adds each candidate's
//     weight to its current weight, takes the largest and subtracts the total from it), so the
//     observed shares follow the set weights exactly over any whole cycle;
//  2. within the revision, smooth weighted round robin over its endpoints (RouterOptions.balancing
//     'round-robin', the default, as nginx and Envoy do), or with `leastRequest`
//     ('least-request') the endpoint with the least outstanding requests relative to its weight
//     (in-flight / weight, like nginx least_conn), ties broken by smooth weighted round robin among
//     the tied endpoints (plain round robin when the weights are equal).

export interface Pickable {
  weight: number;
  inFlight: number;
  /** Smooth-WRR current weight (state of the tie-breaker). */
  cw: number;
}

export interface Group<E extends Pickable> {
  revision: string;
  /** Traffic weight of the revision (percent, or any relative number). */
  weight: number;
  cw: number;
  /** Endpoints in rotation, in a stable order. */
  eps: E[];
}

/**
 * Least outstanding (relative to weight) among `eps`, ties by smooth WRR; only smooth WRR when
 * `leastRequest` is false. `exclude` is skipped.
 */
export function pickEndpoint<E extends Pickable>(
  eps: readonly E[],
  exclude: E | null,
  leastRequest: boolean,
): E | null {
  const n = eps.length;
  if (n === 1) {
    const only = eps[0]!;
    return only === exclude ? null : only;
  }
  let best = Number.POSITIVE_INFINITY;
  if (leastRequest) {
    for (let i = 0; i < n; i++) {
      const e = eps[i]!;
      if (e === exclude) continue;
      const s = e.inFlight / e.weight;
      if (s < best) best = s;
    }
  }
  let chosen: E | null = null;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = eps[i]!;
    if (e === exclude || (leastRequest && e.inFlight / e.weight !== best)) continue;
    e.cw += e.weight;
    total += e.weight;
    if (chosen === null || e.cw > chosen.cw) chosen = e;
  }
  if (chosen !== null) chosen.cw -= total;
  return chosen;
}

/** Smooth weighted round robin over groups with weight > 0 and an endpoint other than `exclude`. */
export function pickGroup<E extends Pickable>(groups: readonly Group<E>[], exclude: E | null): Group<E> | null {
  const n = groups.length;
  let chosen: Group<E> | null = null;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const g = groups[i]!;
    if (g.weight <= 0 || g.eps.length === 0) continue;
    if (exclude !== null && g.eps.length === 1 && g.eps[0] === exclude) continue;
    g.cw += g.weight;
    total += g.weight;
    if (chosen === null || g.cw > chosen.cw) chosen = g;
  }
  if (chosen !== null) chosen.cw -= total;
  return chosen;
}

/** Revision first, then endpoint (see pickEndpoint for `leastRequest`); null when nothing is in rotation. */
export function pick<E extends Pickable>(
  groups: readonly Group<E>[],
  exclude: E | null,
  leastRequest: boolean,
): E | null {
  const g = pickGroup(groups, exclude);
  return g === null ? null : pickEndpoint(g.eps, exclude, leastRequest);
}
