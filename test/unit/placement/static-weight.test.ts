import { describe, expect, it } from 'vitest';
import { divideByStaticWeight, place } from '../../../src/placement/index.js';
import { domain, perTarget, request } from './fixtures.js';

// Karmada's static weight division: pkg/util/helper (Dispenser.TakeByWeight) gives each cluster
// floor(replicas * weight / sum), then the remainder one by one in ClusterWeightInfoList order
// (weight descending, then cluster name). Cases "Scale up 6/3/2 replicas" are from Karmada's
// pkg/scheduler/core Test_dispenser_takeByWeight (an existing 1/2/3 at weights 1:2:3 plus n more is
// the same as 6+n replicas with the existing assignment as current); 5 at 1:1 -> 3/2 is from the
// Karmada proposal "divide replicas by static weight evenly".

const names = ['A', 'B', 'C', 'D'];
const targets = (weights: number[], current?: number[]) =>
  weights.map((weight, i) => ({ name: names[i]!, weight, ...(current ? { current: current[i]! } : {}) }));
const asArray = (m: Map<string, number>) => [...m.values()];

describe('divideByStaticWeight (Karmada static weight)', () => {
  const table: { name: string; replicas: number; weights: number[]; current?: number[]; want: number[] }[] = [
    { name: '12 at 3:2:1 -> 6/4/2', replicas: 12, weights: [3, 2, 1], want: [6, 4, 2] },
    {
      name: 'Karmada: 1/2/3 + 6 at 1:2:3 -> 2/4/6',
      replicas: 12,
      weights: [1, 2, 3],
      current: [1, 2, 3],
      want: [2, 4, 6],
    },
    {
      name: 'Karmada: 1/2/3 + 3 at 1:2:3 -> 1/3/5',
      replicas: 9,
      weights: [1, 2, 3],
      current: [1, 2, 3],
      want: [1, 3, 5],
    },
    {
      name: 'Karmada: 1/2/3 + 2 at 1:2:3 -> 1/2/5',
      replicas: 8,
      weights: [1, 2, 3],
      current: [1, 2, 3],
      want: [1, 2, 5],
    },
    { name: 'Karmada proposal: 5 at 1:1 -> 3/2 (tie by name)', replicas: 5, weights: [1, 1], want: [3, 2] },
    {
      name: 'remainder by weight, not by fraction: 6 at 3:2:2:2 -> 3/1/1/1',
      replicas: 6,
      weights: [3, 2, 2, 2],
      want: [3, 1, 1, 1],
    },
    { name: '2 at 1:2:3 -> 0/0/2 (remainder to the heaviest)', replicas: 2, weights: [1, 2, 3], want: [0, 0, 2] },
    { name: '7 at 1:1:1 -> 3/2/2', replicas: 7, weights: [1, 1, 1], want: [3, 2, 2] },
    {
      name: 'stability: 7 at 1:1:1 with C holding the extra -> 2/2/3',
      replicas: 7,
      weights: [1, 1, 1],
      current: [2, 2, 3],
      want: [2, 2, 3],
    },
    { name: '0 replicas', replicas: 0, weights: [3, 2, 1], want: [0, 0, 0] },
  ];
  it.each(table)('$name', ({ replicas, weights, current, want }) => {
    expect(asArray(divideByStaticWeight(replicas, targets(weights, current)))).toEqual(want);
  });

  it('min and max hold first; the rest is re-divided by weight', () => {
    // 12 at 3:2:1 with C min 4: shares 4.8/3.2/4 -> 5/3/4
    expect(
      asArray(
        divideByStaticWeight(12, [
          { name: 'A', weight: 3 },
          { name: 'B', weight: 2 },
          { name: 'C', weight: 1, min: 4 },
        ]),
      ),
    ).toEqual([5, 3, 4]);
    // 12 at 3:2:1 with A max 4: 4 + 2/3 * 8 + 1/3 * 8 -> 4/6/2 (5.33 -> 5, 2.67 -> 2, remainder to B)
    expect(
      asArray(
        divideByStaticWeight(12, [
          { name: 'A', weight: 3, max: 4 },
          { name: 'B', weight: 2 },
          { name: 'C', weight: 1 },
        ]),
      ),
    ).toEqual([4, 6, 2]);
  });

  it('mins above the replicas: higher weight wins, then name', () => {
    expect(
      asArray(
        divideByStaticWeight(5, [
          { name: 'A', weight: 1, min: 3 },
          { name: 'B', weight: 2, min: 3 },
        ]),
      ),
    ).toEqual([2, 3]);
    expect(
      asArray(
        divideByStaticWeight(4, [
          { name: 'B', weight: 1, min: 3 },
          { name: 'A', weight: 1, min: 3 },
        ]),
      ),
    ).toEqual([1, 3]);
  });

  it('maxes that leave no room throw', () => {
    expect(() =>
      divideByStaticWeight(10, [
        { name: 'A', max: 3 },
        { name: 'B', max: 3 },
      ]),
    ).toThrow(RangeError);
  });
});

describe('place() divides by target weight', () => {
  const ds = [
    domain('aws-east', 'a'),
    domain('aws-east', 'b'),
    domain('gcp-central', 'c1'),
    domain('local-docker', 'host'),
  ];
  const weights = [
    { name: 'aws-east', weight: 3 },
    { name: 'gcp-central', weight: 2 },
    { name: 'local-docker', weight: 1 },
  ];
  it('12 at 3:2:1 -> 6/4/2, and the zones of a target split evenly', () => {
    const r = place(request(ds, 12, { targets: weights }));
    expect(perTarget(r)).toEqual({ 'aws-east': 6, 'gcp-central': 4, 'local-docker': 2 });
    expect(r.assignments.filter((a) => a.target === 'aws-east').map((a) => a.replicas)).toEqual([3, 3]);
  });

  it('hybrid: "2 local, rest in the cloud" with min/max', () => {
    const r = place(
      request(ds, 10, {
        targets: [
          { name: 'local-docker', min: 2, max: 2 },
          { name: 'aws-east', weight: 1 },
          { name: 'gcp-central', weight: 1 },
        ],
      }),
    );
    expect(perTarget(r)).toEqual({ 'aws-east': 4, 'gcp-central': 4, 'local-docker': 2 });
  });

  it('a weight change moves only the difference', () => {
    const before = place(request(ds, 12, { targets: weights }));
    const current = new Map(before.assignments.map((a) => [`${a.target}/${a.zone}`, a.replicas]));
    const after = place(
      request(
        ds,
        12,
        {
          targets: [
            { name: 'aws-east', weight: 2 },
            { name: 'gcp-central', weight: 2 },
            { name: 'local-docker', weight: 2 },
          ],
        },
        { current, options: { maxRebalancePerCall: 100 } },
      ),
    );
    expect(perTarget(after)).toEqual({ 'aws-east': 4, 'gcp-central': 4, 'local-docker': 4 });
    // 6/4/2 -> 4/4/4: two replicas leave aws, two arrive on local (2 stops + 2 starts)
    expect(after.moved).toBe(4);
  });

  it('dynamic weighting divides by the room each target has', () => {
    const roomy = [domain('aws-east', 'a', { maxReplicas: 30 }), domain('gcp-central', 'c1', { maxReplicas: 10 })];
    const r = place(request(roomy, 8, {}, { options: { weighting: 'dynamic' } }));
    expect(perTarget(r)).toEqual({ 'aws-east': 6, 'gcp-central': 2 });
  });
});

describe('place(): weights give way to spread rules only as far as the rules need', () => {
  // Issue 14, item 1: three targets of three zones each at weights 1:2:3. Without spread rules 60
  // replicas go 10/20/30 (zones 4-3-3, 7-7-6, 10-10-10); a zone spread rule that split already keeps
  // (largest zone skew 7) must not bend it (it gave 18/18/24).
  const zones = ['x1', 'x2', 'x3'];
  const spreadOver = (region?: string) =>
    ['a', 'b', 'c'].flatMap((t) =>
      zones.map((z) => domain(t, z, region ? { provider: 'memory', region } : { provider: 'memory', region: t })),
    );
  const weights = [
    { name: 'a', weight: 1 },
    { name: 'b', weight: 2 },
    { name: 'c', weight: 3 },
  ];
  const zone = (maxSkew: number) => ({
    topologyKey: 'zone' as const,
    maxSkew,
    whenUnsatisfiable: 'DoNotSchedule' as const,
  });
  const table: { name: string; region?: string; maxSkew?: number; want: Record<string, number[]> }[] = [
    { name: 'no spread rule: 10/20/30', want: { a: [4, 3, 3], b: [7, 7, 6], c: [10, 10, 10] } },
    {
      name: 'issue 14: zone maxSkew 20, kept by the split: 10/20/30',
      maxSkew: 20,
      want: { a: [4, 3, 3], b: [7, 7, 6], c: [10, 10, 10] },
    },
    {
      name: "zone maxSkew 7, exactly the split's skew: 10/20/30",
      maxSkew: 7,
      want: { a: [4, 3, 3], b: [7, 7, 6], c: [10, 10, 10] },
    },
    {
      name: 'zone labels shared by the three targets (sums 21/20/19), maxSkew 2: 10/20/30',
      region: 'local',
      maxSkew: 2,
      want: { a: [4, 3, 3], b: [7, 7, 6], c: [10, 10, 10] },
    },
    {
      // zones within 5: raising a's zones to 4 and lowering c's to 9 moves 5 replicas, one more goes to
      // b's emptiest zone; 6 in all (floors 3 or 5 move 12 and 10)
      name: 'zone maxSkew 5 binds: the fewest replicas move (12/21/27)',
      maxSkew: 5,
      want: { a: [4, 4, 4], b: [7, 7, 7], c: [9, 9, 9] },
    },
  ];
  it.each(table)('$name', ({ region, maxSkew, want }) => {
    const r = place(request(spreadOver(region), 60, { targets: weights, spread: maxSkew ? [zone(maxSkew)] : [] }));
    const got: Record<string, number[]> = {};
    for (const a of r.assignments) got[a.target] = [...(got[a.target] ?? []), a.replicas];
    expect(got).toEqual(want);
  });
});
