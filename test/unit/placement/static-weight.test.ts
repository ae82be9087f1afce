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
