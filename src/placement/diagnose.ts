import { PlacementError } from '../errors/index.js';
import type { PlacementPolicy, SpreadConstraint } from '../spec/deployment.js';
import { solve, type SolveInput } from './solve.js';
import { groupOf } from './spread.js';
import { type Domain, domainKey } from './types.js';

export interface Rejected {
  domain: Domain;
  filter: string;
  reason: string;
}

export interface DiagnoseInput extends Omit<SolveInput, 'domains'> {
  eligible: readonly Domain[];
  /** Domains filters rejected (health, capability, capacity, allow-list) and held back (return window). */
  rejected: readonly Rejected[];
}

/** Filters whose rejection goes away on its own (recovery, the window passing, capacity freeing). */
const TRANSIENT = new Set(['domain-health', 'return-window', 'capacity']);

const describe = (c: SpreadConstraint) =>
  `maxSkew ${c.maxSkew} over ${c.topologyKey}${c.minDomains !== undefined ? ` with minDomains ${c.minDomains}` : ''}`;

const list = (items: readonly string[], max = 4) =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;

const rejectedText = (r: Rejected) => `${domainKey(r.domain)} ${r.reason}`;

/**
 * Why no assignment exists, as a PlacementError naming the rule that fails and what would make it
 * hold. The rules are added one at a time (capacity, target max, target mins, each DoNotSchedule
 * constraint in order) and the first that makes the problem infeasible is named. `unschedulable`
 * when it would hold with every transiently rejected domain back (healthy, out of its window, with
 * room); `unresolvable` otherwise.
 */
export function diagnose(input: DiagnoseInput): PlacementError {
  const { policy, replicas, eligible, rejected } = input;
  const feasible = (domains: readonly Domain[], p: PlacementPolicy, mins = input.mins, ignoreCapacity = false) =>
    minsReachable(domains, mins) && solve({ ...input, domains, policy: p, mins, ignoreCapacity }) !== undefined;

  const transient = rejected.filter((r) => TRANSIENT.has(r.filter));
  const restored = [...eligible, ...transient.map((r) => r.domain)];
  const kind = feasible(restored, policy, input.mins, true) ? 'unschedulable' : 'unresolvable';
  const recover = transient.length ? ` (${list(transient.map(rejectedText))})` : '';
  const fail = (constraint: string, message: string) => new PlacementError(kind, constraint, message);

  if (eligible.length === 0) {
    return fail(
      'domains',
      `no eligible domain for ${replicas} replicas: ${list(rejected.map(rejectedText)) || 'no domains given'}`,
    );
  }
  const bare: PlacementPolicy = {
    ...policy,
    spread: [],
    targets: policy.targets?.map(({ min: _m, max: _x, ...t }) => t),
  };
  if (!feasible(eligible, bare, new Map())) {
    const room = eligible.reduce((a, d) => a + (d.maxReplicas ?? Number.POSITIVE_INFINITY), 0);
    return fail('capacity', `${replicas} replicas need room; the eligible domains hold at most ${room}${recover}`);
  }
  const withMax: PlacementPolicy = { ...policy, spread: [], targets: policy.targets?.map(({ min: _m, ...t }) => t) };
  if (!feasible(eligible, withMax, new Map())) {
    const room = (policy.targets ?? []).reduce((a, t) => a + (t.max ?? Number.POSITIVE_INFINITY), 0);
    return fail('targets[].max', `the targets' max allow at most ${room} of ${replicas} replicas${recover}`);
  }
  const noSpread: PlacementPolicy = { ...policy, spread: [] };
  if (!feasible(eligible, noSpread)) {
    for (const [name, min] of input.mins) {
      if (feasible(eligible, noSpread, new Map([[name, min]]))) continue;
      const own = eligible.filter((d) => d.target === name);
      const room = own.reduce((a, d) => a + (d.maxReplicas ?? Number.POSITIVE_INFINITY), 0);
      const down = transient.filter((r) => r.domain.target === name).map(rejectedText);
      return fail(
        `targets[${name}].min`,
        `min ${min} on ${name} needs room for ${min}; its eligible domains hold at most ${own.length ? room : 0}${down.length ? ` (${list(down)})` : ''}`,
      );
    }
    return fail('targets[].min', `the targets' mins cannot hold together for ${replicas} replicas${recover}`);
  }
  const hard = policy.spread.map((c, i) => ({ c, i })).filter(({ c }) => c.whenUnsatisfiable !== 'ScheduleAnyway');
  for (let k = 0; k < hard.length; k++) {
    const upTo = { ...policy, spread: hard.slice(0, k + 1).map((h) => h.c) };
    if (feasible(eligible, upTo)) continue;
    const { c, i } = hard[k]!;
    return fail(
      `spread[${i}] (${c.topologyKey}, maxSkew ${c.maxSkew})`,
      spreadMessage(
        input,
        c,
        hard.slice(0, k).map((h) => h.c),
        feasible,
        transient,
        kind,
      ),
    );
  }
  return fail('placement', `no assignment of ${replicas} replicas keeps every rule${recover}`);
}

function minsReachable(domains: readonly Domain[], mins: ReadonlyMap<string, number>): boolean {
  for (const [name, min] of mins) if (min > 0 && !domains.some((d) => d.target === name)) return false;
  return true;
}

function spreadMessage(
  input: DiagnoseInput,
  c: SpreadConstraint,
  before: SpreadConstraint[],
  feasible: (d: readonly Domain[], p: PlacementPolicy, mins?: ReadonlyMap<string, number>) => boolean,
  transient: readonly Rejected[],
  kind: string,
): string {
  const { eligible, policy, replicas } = input;
  const key = c.topologyKey;
  const policyWith = (x: SpreadConstraint) => ({ ...policy, spread: [...before, x] });
  const groups = new Set(eligible.map((d) => groupOf(d, key)));
  const parts: string[] = [];

  // A target min that the constraint squeezes out: the message in the target's own terms.
  for (const [name, min] of input.mins) {
    const without = new Map(input.mins);
    without.delete(name);
    if (!feasible(eligible, policyWith(c), without)) continue;
    const own = new Set(eligible.filter((d) => d.target === name).map((d) => groupOf(d, key)));
    const down = transient.filter((r) => r.domain.target === name);
    let needed: number | undefined;
    const back: Domain[] = [];
    for (const r of down) {
      back.push(r.domain);
      if (feasible([...eligible, ...back], policyWith(c))) {
        needed = new Set([...eligible, ...back].filter((d) => d.target === name).map((d) => groupOf(d, key))).size;
        break;
      }
    }
    const word = key === 'target' ? 'targets' : `${key}s`;
    const need =
      needed !== undefined ? `needs ${needed} healthy ${word} on ${name}` : `needs more ${word} on ${name} than it has`;
    return `${describe(c)} with min ${min} on ${name} ${need}; ${own.size} ${own.size === 1 ? 'is' : 'are'} healthy${down.length ? ` (${list(down.map(rejectedText))})` : ''}`;
  }

  parts.push(
    `${describe(c)} cannot hold for ${replicas} replicas over ${groups.size} eligible ${key}${groups.size === 1 ? '' : 's'}`,
  );
  if (before.length) parts.push(`together with ${before.map(describe).join(' and ')}`);
  if (c.minDomains !== undefined && groups.size < c.minDomains) {
    parts.push(
      `fewer than minDomains ${c.minDomains} are eligible, so the minimum counts as 0 and each ${key} holds at most ${c.maxSkew}`,
    );
  }
  // What would satisfy it: the smallest maxSkew that holds.
  let lo = c.maxSkew + 1;
  let hi = Math.max(lo, replicas);
  if (feasible(eligible, policyWith({ ...c, maxSkew: hi, minDomains: c.minDomains }))) {
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (feasible(eligible, policyWith({ ...c, maxSkew: mid }))) hi = mid;
      else lo = mid + 1;
    }
    parts.push(`it holds with maxSkew ${lo}`);
  }
  if (kind === 'unschedulable' && transient.length)
    parts.push(`or once these are back: ${list(transient.map(rejectedText))}`);
  return parts.join('; ');
}
