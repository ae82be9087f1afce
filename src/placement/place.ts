import { PlacementError } from '../errors/index.js';
import type { PlacementPolicy } from '../spec/deployment.js';
import { boundedStep } from './bounded-step.js';
import { diagnose, type Rejected } from './diagnose.js';
import { effectiveMins } from './effective-mins.js';
import { DEFAULT_FILTERS, type FilterContext } from './filters/index.js';
import { solve } from './solve.js';
import { groupCounts, skewOf } from './spread.js';
import { templateDemand } from './template-demand.js';
import { compareDomains } from './topology.js';
import {
  type Domain,
  type DomainAssignment,
  type DomainExplanation,
  domainKey,
  type PlacementRequest,
  type PlacementResult,
} from './types.js';
import { violations } from './verify.js';

const DEFAULT_REBALANCE_FRACTION = 0.25;

/** The replicas one call may move between eligible domains (see PlacementOptions.maxRebalancePerCall). */
export function rebalanceBudget(req: Pick<PlacementRequest, 'replicas' | 'options'>): number {
  const o = req.options ?? {};
  return (
    o.maxRebalancePerCall ?? Math.max(1, Math.floor((o.rebalanceFraction ?? DEFAULT_REBALANCE_FRACTION) * req.replicas))
  );
}

/**
 * Places `replicas` over the domains: filters (allow-list, health, capabilities, capacity, return
 * window), then the policy's assignment (spread constraints as hard bands, weights, cost or
 * balance, target min/max), then a bounded step from `current` toward it. Pure and deterministic;
 * time only from `req.now`. Throws PlacementError when no assignment keeps every hard rule.
 */
export function place(req: PlacementRequest): PlacementResult {
  const replicas = req.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new PlacementError('unresolvable', 'replicas', `replicas must be a whole number >= 0, got ${replicas}`);
  }
  const policy: PlacementPolicy = {
    ...req.policy,
    spread: req.policy.spread ?? [],
    optimize: req.policy.optimize ?? 'spread',
    returnAfterSeconds: req.policy.returnAfterSeconds ?? 60,
  };
  const current = req.current ?? new Map<string, number>();
  const options = req.options ?? {};
  const ctx: FilterContext = {
    policy,
    demand: templateDemand(req.template, req.servicePort),
    current,
    now: req.now,
    options,
    scaleToZero: req.scaleToZero === true,
  };

  const sorted = [...req.domains].sort((a, b) => compareKey(a, b) || compareDomains(a, b));
  const explain = new Map<string, DomainExplanation>();
  const eligible: Domain[] = [];
  const held: Rejected[] = [];
  const rejected: Rejected[] = [];
  for (const d of sorted) {
    const key = domainKey(d);
    const entry: DomainExplanation = {
      target: d.target,
      zone: d.zone,
      provider: d.provider,
      region: d.region,
      considered: true,
      replicas: 0,
    };
    const prev = current.get(key);
    if (prev) entry.previous = prev;
    if (explain.has(key)) continue; // a duplicate (target, zone): the first one wins
    explain.set(key, entry);
    let verdict: { filter: string; reason: string; hold: boolean } | undefined;
    for (const f of DEFAULT_FILTERS) {
      const v = f.filter(d, ctx);
      if (!v.pass) {
        verdict = { filter: f.name, reason: v.reason, hold: v.hold ?? false };
        break;
      }
    }
    if (!verdict) {
      entry.status = 'eligible';
      eligible.push(d);
      continue;
    }
    Object.assign(entry, {
      considered: false,
      status: verdict.hold ? 'returning' : 'filtered',
      filter: verdict.filter,
      reason: verdict.reason,
    });
    entry.filteredBy = `${verdict.filter}: ${verdict.reason}`;
    (verdict.hold ? held : rejected).push({ domain: d, filter: verdict.filter, reason: verdict.reason });
  }

  const { mins, notes } = effectiveMins(replicas, policy.targets ?? []);
  const base = { replicas, policy, mins, current, options };
  const reachable = (ds: readonly Domain[]) => [...mins].every(([t, m]) => m === 0 || ds.some((d) => d.target === t));
  const attempt = (domains: readonly Domain[]) => {
    if (!reachable(domains)) return undefined;
    const bounds = req.current ? stabilityBounds(domains, current, replicas) : {};
    if (!bounds.floor && !bounds.ceiling) return solve({ ...base, domains });
    const stable = solve({ ...base, ...bounds, domains });
    if (stable) return stable;
    const moved = solve({ ...base, domains });
    if (moved)
      notes.push(
        `scaling to ${replicas} moves replicas between domains: ${bounds.floor ? 'adding' : 'removing'} only would break a hard rule`,
      );
    return moved;
  };
  let solution = attempt(eligible);
  if (!solution && held.length) {
    // Held-back domains must not make the policy fail: use them early rather than not at all.
    const withHeld = [...eligible, ...held.map((h) => h.domain)];
    solution = attempt(withHeld);
    if (solution) {
      for (const h of held) {
        const e = explain.get(domainKey(h.domain))!;
        Object.assign(e, { considered: true, status: 'eligible' });
        delete e.filteredBy;
        delete e.filter;
        e.reason = `returned before its window: the policy cannot hold without it (${h.reason})`;
        notes.push(`${domainKey(h.domain)} used before its return window ends: the policy cannot hold without it`);
      }
    }
  }
  if (!solution) throw diagnose({ ...base, eligible, rejected: [...rejected, ...held] });

  const { topo, counts: ideal, scores } = solution;
  const leaves = topo.leaves;
  // Current replicas that may stay: on eligible domains, within capacity.
  const staying = Float64Array.from(leaves, (d) =>
    Math.min(current.get(domainKey(d)) ?? 0, d.maxReplicas ?? Number.POSITIVE_INFINITY),
  );
  let next: Float64Array = ideal;
  let pending = 0;
  if (req.current) {
    const step = boundedStep(ideal, staying, rebalanceBudget(req));
    if (step.pending > 0 && stepHolds(leaves, staying, step.next, replicas, policy, mins)) {
      next = step.next;
      pending = step.pending;
    }
  }

  const assignments: DomainAssignment[] = [];
  leaves.forEach((d, i) => {
    assignments.push({ target: d.target, provider: d.provider, region: d.region, zone: d.zone, replicas: next[i]! });
    const e = explain.get(domainKey(d))!;
    e.replicas = next[i]!;
    e.desired = ideal[i]!;
    e.score = Math.round(scores[i]! * 10) / 10;
  });
  assignments.sort(compareKey);
  let churn = 0;
  const seen = new Set<string>();
  for (const a of assignments) {
    const k = domainKey(a);
    seen.add(k);
    churn += Math.abs(a.replicas - (current.get(k) ?? 0));
  }
  for (const [k, n] of current) if (!seen.has(k)) churn += n;
  const result: PlacementResult = { assignments, explain: [...explain.values()], moved: churn, pending };
  if (notes.length) result.notes = notes;
  return result;
}

/**
 * A scale change moves nothing else: on a scale-up (including replacing replicas lost with a
 * failed domain) every eligible domain keeps what it has; on a scale-down none grows. When the
 * count is unchanged there are no such bounds: the assignment is brought to the policy's (returns,
 * weight changes) in bounded steps instead.
 */
function stabilityBounds(
  domains: readonly Domain[],
  current: ReadonlyMap<string, number>,
  replicas: number,
): { floor?: Map<string, number>; ceiling?: Map<string, number> } {
  const held = new Map<string, number>();
  let total = 0;
  for (const d of domains) {
    const n = Math.min(current.get(domainKey(d)) ?? 0, d.maxReplicas ?? Number.POSITIVE_INFINITY);
    held.set(domainKey(d), n);
    total += n;
  }
  if (replicas > total) return { floor: held };
  if (replicas < total) return { ceiling: held };
  return {};
}

function compareKey(a: { target: string; zone: string }, b: { target: string; zone: string }): number {
  return a.target < b.target ? -1 : a.target > b.target ? 1 : a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0;
}

/**
 * A bounded step is taken only when it keeps every hard rule, with one allowance for spread: a
 * DoNotSchedule constraint the replicas already break (a recovered domain still being refilled, a
 * weight change under way) may stay broken as long as the step does not make its skew worse. A
 * step never breaks a spread rule that holds now. Otherwise the engine moves to the policy's
 * assignment at once.
 */
function stepHolds(
  leaves: readonly Domain[],
  staying: Float64Array,
  next: Float64Array,
  replicas: number,
  policy: PlacementPolicy,
  mins: ReadonlyMap<string, number>,
): boolean {
  if (violations(leaves, next, replicas, { ...policy, spread: [] }, { mins }).length > 0) return false;
  return policy.spread.every((c) => {
    if (c.whenUnsatisfiable === 'ScheduleAnyway') return true;
    const after = skewOf(groupCounts(leaves, next, c.topologyKey), c.minDomains);
    return after <= c.maxSkew || after <= skewOf(groupCounts(leaves, staying, c.topologyKey), c.minDomains);
  });
}
