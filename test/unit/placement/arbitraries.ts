import fc from 'fast-check';
import type { Domain, PlacementRequest } from '../../../src/placement/index.js';
import type { PlacementPolicy, SpreadConstraint, TargetRef } from '../../../src/spec/deployment.js';
import { caps, template } from './fixtures.js';

export interface FleetShape {
  providers: number;
  regions: number;
  targetsPerRegion: number;
  zones: number;
  /** Zone labels shared by the targets of a region (two clusters in one region). */
  sharedZones: boolean;
}

/** A fleet of domains: provider > region > target > zone, with optional capacity and price. */
export function fleet(shape: FleetShape) {
  const slots: Omit<Domain, 'healthy' | 'capabilities'>[] = [];
  for (let p = 0; p < shape.providers; p++)
    for (let r = 0; r < shape.regions; r++)
      for (let t = 0; t < shape.targetsPerRegion; t++)
        for (let z = 0; z < shape.zones; z++) {
          slots.push({
            provider: `p${p}`,
            region: `r${r}`,
            target: `p${p}-r${r}-t${t}`,
            zone: shape.sharedZones ? `z${z}` : `z${t}${z}`,
          });
        }
  return fc
    .tuple(
      fc.subarray(slots, { minLength: 1 }),
      fc.array(
        fc.record({
          cap: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
          price: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        }),
        {
          minLength: slots.length,
          maxLength: slots.length,
        },
      ),
    )
    .map(([chosen, extras]) =>
      chosen.map((s, i): Domain => {
        const e = extras[i]!;
        return {
          ...s,
          healthy: true,
          capabilities: caps,
          ...(e.cap !== undefined ? { maxReplicas: e.cap } : {}),
          ...(e.price !== undefined ? { pricePerReplicaHour: e.price / 100 } : {}),
        };
      }),
    );
}

export const spreadConstraint: fc.Arbitrary<SpreadConstraint> = fc.record(
  {
    topologyKey: fc.constantFrom('provider', 'region', 'zone', 'target') as fc.Arbitrary<
      SpreadConstraint['topologyKey']
    >,
    maxSkew: fc.integer({ min: 1, max: 3 }),
    minDomains: fc.integer({ min: 1, max: 4 }),
    whenUnsatisfiable: fc.constantFrom('DoNotSchedule', 'DoNotSchedule', 'ScheduleAnyway') as fc.Arbitrary<
      SpreadConstraint['whenUnsatisfiable']
    >,
  },
  { requiredKeys: ['topologyKey', 'maxSkew', 'whenUnsatisfiable'] },
);

export function policyFor(domains: Domain[], maxMin = 3): fc.Arbitrary<PlacementPolicy> {
  const names = [...new Set(domains.map((d) => d.target))].sort();
  const ref = (name: string): fc.Arbitrary<TargetRef> =>
    fc
      .record(
        {
          weight: fc.integer({ min: 1, max: 4 }),
          min: fc.integer({ min: 0, max: maxMin }),
          max: fc.integer({ min: 0, max: 8 }),
        },
        { requiredKeys: [] },
      )
      .map((r) => {
        const out: TargetRef = { name };
        if (r.weight !== undefined) out.weight = r.weight;
        if (r.min !== undefined) out.min = r.min;
        if (r.max !== undefined) out.max = Math.max(r.max, r.min ?? 0, 1);
        return out;
      });
  return fc
    .record({
      targets: fc.option(fc.tuple(...names.map(ref)), { nil: undefined }),
      spread: fc.array(spreadConstraint, { maxLength: 3 }),
      optimize: fc.constantFrom('spread', 'cost') as fc.Arbitrary<'spread' | 'cost'>,
      returnAfterSeconds: fc.constant(60),
    })
    .map((p) =>
      p.targets === undefined
        ? { spread: p.spread, optimize: p.optimize, returnAfterSeconds: 60 }
        : (p as PlacementPolicy),
    );
}

export function requestArb(shape: FleetShape, maxReplicas: number, maxMin = 3): fc.Arbitrary<PlacementRequest> {
  return fleet(shape).chain((domains) =>
    fc.record({
      domains: fc.constant(domains),
      policy: policyFor(domains, maxMin),
      replicas: fc.integer({ min: 0, max: maxReplicas }),
      template: fc.constant(template),
    }),
  );
}

/**
 * Requests under static weights in spread mode (every target listed with a weight 1-4), the case
 * where the result must be the assignment closest to the weighted split.
 */
export function weightedRequestArb(shape: FleetShape, maxReplicas: number, maxMin = 3): fc.Arbitrary<PlacementRequest> {
  return requestArb(shape, maxReplicas, maxMin).chain((req) => {
    const names = [...new Set(req.domains.map((d) => d.target))].sort();
    return fc
      .array(fc.integer({ min: 1, max: 4 }), { minLength: names.length, maxLength: names.length })
      .map((weights): PlacementRequest => {
        const given = new Map((req.policy.targets ?? []).map((t) => [t.name, t]));
        const targets = names.map((name, i) => ({ ...given.get(name), name, weight: weights[i]! }));
        return { ...req, policy: { ...req.policy, optimize: 'spread', targets } };
      });
  });
}

/**
 * Weighted fleets of up to 72 domains with up to four DoNotSchedule bands at once (provider, region
 * and target skews as fractions of the replicas, zone skews 1-20), optional capacity; for
 * `closestOverAllFloors` (no minDomains, min/max or shared zone labels).
 */
export const bandedRequestArb: fc.Arbitrary<PlacementRequest> = fc
  .record({
    shape: fc.record({
      providers: fc.integer({ min: 1, max: 3 }),
      regions: fc.integer({ min: 1, max: 3 }),
      targetsPerRegion: fc.integer({ min: 1, max: 2 }),
      zones: fc.integer({ min: 1, max: 4 }),
    }),
    replicas: fc.integer({ min: 10, max: 600 }),
    weights: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 18, maxLength: 18 }),
    caps: fc.array(fc.option(fc.integer({ min: 1, max: 150 }), { nil: undefined, freq: 4 }), {
      minLength: 72,
      maxLength: 72,
    }),
    skews: fc.tuple(
      fc.option(fc.double({ min: 0.01, max: 0.5, noNaN: true }), { nil: undefined }),
      fc.option(fc.double({ min: 0.005, max: 0.3, noNaN: true }), { nil: undefined }),
      fc.option(fc.double({ min: 0.005, max: 0.3, noNaN: true }), { nil: undefined }),
      fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
    ),
  })
  .map(({ shape, replicas, weights, caps: capacity, skews }): PlacementRequest => {
    const domains: Domain[] = [];
    for (let p = 0; p < shape.providers; p++)
      for (let r = 0; r < shape.regions; r++)
        for (let t = 0; t < shape.targetsPerRegion; t++)
          for (let z = 0; z < shape.zones; z++) {
            const cap = capacity[domains.length];
            domains.push({
              provider: `p${p}`,
              region: `r${r}`,
              target: `p${p}-r${r}-t${t}`,
              zone: `z${t}${z}`,
              healthy: true,
              capabilities: caps,
              ...(cap !== undefined ? { maxReplicas: cap } : {}),
            });
          }
    const names = [...new Set(domains.map((d) => d.target))];
    const keys = ['provider', 'region', 'target', 'zone'] as const;
    const spread: SpreadConstraint[] = [];
    skews.forEach((s, i) => {
      if (s === undefined) return;
      const maxSkew = i === 3 ? s : Math.max(1, Math.round(s * replicas));
      spread.push({ topologyKey: keys[i]!, maxSkew, whenUnsatisfiable: 'DoNotSchedule' });
    });
    return {
      replicas,
      domains,
      template,
      policy: {
        targets: names.map((name, i) => ({ name, weight: weights[i]! })),
        spread,
        optimize: 'spread',
        returnAfterSeconds: 60,
      },
    };
  });
