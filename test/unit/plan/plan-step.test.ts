import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/index.js';
import {
  applyActions,
  type PlanInput,
  planStep,
  rolloutBudget,
  type SliceState,
  simulatePlan,
} from '../../../src/plan/index.js';

const rolling = (maxSurge: number, maxUnavailable: number): PlanInput['strategy'] => ({
  type: 'RollingUpdate',
  budget: { maxSurge, maxUnavailable },
});
const total = (s: readonly SliceState[]) => s.reduce((a, x) => a + x.replicas, 0);
const ready = (s: readonly SliceState[]) => s.reduce((a, x) => a + x.ready, 0);

describe('rolloutBudget', () => {
  it.each([
    [10, '25%', '25%', 3, 2],
    [4, '25%', '25%', 1, 1],
    [1, '25%', '25%', 1, 0],
    [3, 1, 0, 1, 0],
    [3, '0%', '0%', 0, 1],
  ] as const)('replicas %i, surge %s, unavailable %s -> %i up, %i down', (replicas, s, u, up, down) => {
    expect(rolloutBudget(replicas, s, u)).toEqual({ maxSurge: up, maxUnavailable: down });
  });

  it('rejects both budgets set to 0, naming the field and the fix', () => {
    expect(() => rolloutBudget(3, 0, 0)).toThrow(ValidationError);
    expect(() => rolloutBudget(3, 0, 0)).toThrow(/spec.strategy.rollingUpdate: .*set maxSurge to 1/);
  });
});

describe('planStep', () => {
  it('creates everything at once for a new deployment', () => {
    const step = planStep({
      replicas: 3,
      revision: 'b',
      desired: [{ target: 'd', zone: 'z', replicas: 3 }],
      observed: [],
      strategy: rolling(1, 0),
    });
    expect(step.actions).toEqual([
      expect.objectContaining({ type: 'create', target: 'd', zone: 'z', revision: 'b', from: 0, to: 3 }),
    ]);
  });

  it('rolls 3 replicas one at a time with maxSurge 1, maxUnavailable 0 (a replacement starts in the step that removes an old one)', () => {
    const { steps, converges } = simulatePlan({
      replicas: 3,
      revision: 'new',
      desired: [{ target: 'd', zone: 'z', replicas: 3 }],
      observed: [{ target: 'd', zone: 'z', revision: 'old', replicas: 3, ready: 3 }],
      strategy: rolling(1, 0),
    });
    expect(converges).toBe(true);
    expect(steps.map((s) => s.map((a) => `${a.revision}:${a.from}->${a.to}`))).toEqual([
      ['new:0->1'],
      ['new:1->2', 'old:3->2'],
      ['new:2->3', 'old:2->1'],
      ['old:1->0'],
    ]);
  });

  it('removes not-ready old replicas first without spending the unavailability budget', () => {
    const step = planStep({
      replicas: 3,
      revision: 'new',
      desired: [{ target: 'd', zone: 'z', replicas: 3 }],
      observed: [{ target: 'd', zone: 'z', revision: 'old', replicas: 3, ready: 1 }],
      strategy: rolling(0, 0 + 1),
    });
    // ready 1 < min ready 2: only the 2 broken replicas may go, and their 2 replacements start
    // in the same step (the total stays within replicas + maxSurge = 3)
    expect(step.actions).toEqual([
      expect.objectContaining({ revision: 'new', from: 0, to: 2 }),
      expect.objectContaining({ revision: 'old', from: 3, to: 1 }),
    ]);
  });

  it('waits, naming what it waits for, when the budgets allow nothing', () => {
    const step = planStep({
      replicas: 2,
      revision: 'new',
      desired: [{ target: 'd', zone: 'z', replicas: 2 }],
      observed: [
        { target: 'd', zone: 'z', revision: 'old', replicas: 2, ready: 2 },
        { target: 'd', zone: 'z', revision: 'new', replicas: 1, ready: 0 },
      ],
      strategy: rolling(1, 0),
    });
    expect(step).toMatchObject({ actions: [], done: false });
    expect(step.waitingFor).toContain('d/z new 0/1');
  });

  it('moves replicas between domains when placement changes (migration) within the same bounds', () => {
    const { steps, converges } = simulatePlan({
      replicas: 2,
      revision: 'r',
      desired: [{ target: 'gcp', zone: 'z', replicas: 2 }],
      observed: [{ target: 'aws', zone: 'z', revision: 'r', replicas: 2, ready: 2 }],
      strategy: rolling(1, 0),
    });
    expect(converges).toBe(true);
    expect(
      steps
        .flat()
        .filter((a) => a.target === 'aws')
        .at(-1),
    ).toMatchObject({ type: 'delete', to: 0 });
  });

  it('Recreate removes the old revision before the new one starts', () => {
    const { steps } = simulatePlan({
      replicas: 2,
      revision: 'new',
      desired: [{ target: 'd', zone: 'z', replicas: 2 }],
      observed: [{ target: 'd', zone: 'z', revision: 'old', replicas: 2, ready: 2 }],
      strategy: { type: 'Recreate' },
    });
    expect(steps.map((s) => s.map((a) => `${a.type}:${a.revision}`))).toEqual([['delete:old'], ['create:new']]);
  });

  it('removes a slice whose template is unknown whole, once the budget allows', () => {
    const step = planStep({
      replicas: 2,
      revision: 'new',
      desired: [{ target: 'd', zone: 'z', replicas: 2 }],
      observed: [
        { target: 'd', zone: 'z', revision: 'lost', replicas: 2, ready: 2 },
        { target: 'd', zone: 'z', revision: 'new', replicas: 2, ready: 2 },
      ],
      strategy: rolling(1, 0),
      unknownRevisions: new Set(['lost']),
    });
    expect(step.actions).toEqual([expect.objectContaining({ type: 'delete', revision: 'lost', from: 2, to: 0 })]);
  });

  // Surge and unavailability bounds hold at every step, over the whole deployment, for any
  // starting point, any budgets, several domains, and readiness arriving in any order.
  it('keeps replicas <= replicas+maxSurge and ready >= replicas-maxUnavailable at every step, and converges', () => {
    const domains = ['aws/a', 'aws/b', 'gcp/r'];
    const arb = fc.record({
      replicas: fc.integer({ min: 0, max: 12 }),
      old: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 3, maxLength: 3 }),
      weights: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
      surge: fc.integer({ min: 0, max: 3 }),
      unavailable: fc.integer({ min: 0, max: 3 }),
      readyOrder: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 50, maxLength: 50 }),
    });
    fc.assert(
      fc.property(arb, ({ replicas, old, weights, surge, unavailable, readyOrder }) => {
        if (surge === 0 && unavailable === 0) unavailable = 1;
        // desired split of `replicas` by weights over the domains (at least one domain gets them)
        const w = weights.every((x) => x === 0) ? [1, 0, 0] : weights;
        const sum = w.reduce((a, b) => a + b, 0);
        const desiredCounts = w.map((x) => Math.floor((replicas * x) / sum));
        desiredCounts[w.findIndex((x) => x > 0)]! += replicas - desiredCounts.reduce((a, b) => a + b, 0);
        const desired = domains.map((d, i) => ({
          target: d.split('/')[0]!,
          zone: d.split('/')[1]!,
          replicas: desiredCounts[i]!,
        }));
        let observed: SliceState[] = domains
          .map((d, i) => ({
            target: d.split('/')[0]!,
            zone: d.split('/')[1]!,
            revision: 'old',
            replicas: old[i]!,
            ready: old[i]!,
          }))
          .filter((s) => s.replicas > 0);
        const maxTotal = replicas + surge;
        const minReady = replicas - unavailable;
        const startTotal = total(observed);
        const startReady = ready(observed);
        let doneAt = -1;
        for (let i = 0; i < 200; i++) {
          const step = planStep({
            replicas,
            revision: 'new',
            desired,
            observed,
            strategy: rolling(surge, unavailable),
          });
          if (step.done) {
            doneAt = i;
            break;
          }
          const added = step.actions.some((a) => a.to > a.from);
          observed = applyActions(observed, step.actions);
          if (added) expect(total(observed)).toBeLessThanOrEqual(Math.max(maxTotal, startTotal));
          expect(total(observed)).toBeLessThanOrEqual(Math.max(maxTotal, startTotal));
          expect(ready(observed)).toBeGreaterThanOrEqual(Math.min(minReady, startReady));
          // some not-ready replicas become ready, in an order chosen by the generator
          const pick = readyOrder[i % readyOrder.length]!;
          const unready = observed.filter((s) => s.ready < s.replicas);
          if (unready.length) {
            const s = unready[pick % unready.length]!;
            s.ready += 1 + (pick % (s.replicas - s.ready));
            if (s.ready > s.replicas) s.ready = s.replicas;
          }
        }
        expect(doneAt).toBeGreaterThanOrEqual(0);
        expect(observed.every((s) => s.revision === 'new')).toBe(true);
        expect(total(observed)).toBe(replicas);
      }),
      { numRuns: 2000 },
    );
  });
});
