import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AutoscalerState,
  autoscalerOptions,
  compactRecommendations,
  type DecideInput,
  type Decision,
  decideScale,
  type MetricSamples,
  stateHorizons,
} from '../../../src/autoscaling/index.js';
import type { Autoscaling } from '../../../src/spec/autoscaling.js';
import { shift, specArb, type Tick, targetOf, ticksArb } from './arbitraries.js';
import { SECOND, T0 } from './fixtures.js';

interface Step {
  input: DecideInput;
  decision: Decision;
}

/** Decisions over the ticks, each with the previous state (through JSON, as stored) and count. */
function runTicks(spec: Autoscaling, start: number, ticks: readonly Tick[]): Step[] {
  let now = T0;
  let current = start;
  let state: AutoscalerState | undefined;
  const out: Step[] = [];
  for (const t of ticks) {
    now += t.dt * SECOND;
    if (t.nudge !== null) current = t.nudge;
    const input: DecideInput = {
      now,
      current,
      spec,
      samples: shift(t.samples, now),
      shortSamples: shift(t.short, now),
      state,
    };
    const decision = decideScale(input);
    out.push({ input, decision });
    state = JSON.parse(JSON.stringify(decision.state)) as AutoscalerState;
    current = decision.desired;
  }
  return out;
}

const scenario = specArb.chain((spec) =>
  fc.record({
    spec: fc.constant(spec),
    start: fc.integer({ min: 0, max: spec.maxReplicas + 5 }),
    ticks: ticksArb(spec),
  }),
);

const LISTENER_TRAFFIC: readonly string[] = ['concurrency', 'requestsPerSecond'];

const inBounds = (spec: Autoscaling, n: number) => n >= spec.minReplicas && n <= spec.maxReplicas;

describe('autoscaling properties', () => {
  it('the result is never outside [minReplicas, maxReplicas]', () => {
    fc.assert(
      fc.property(scenario, ({ spec, start, ticks }) => {
        for (const { decision } of runTicks(spec, start, ticks)) {
          expect(decision.desired).toBeGreaterThanOrEqual(spec.minReplicas);
          expect(decision.desired).toBeLessThanOrEqual(spec.maxReplicas);
          expect(Number.isInteger(decision.desired)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a held (missing, stale or invalid) metric never scales down', () => {
    fc.assert(
      fc.property(scenario, ({ spec, start, ticks }) => {
        for (const { input, decision } of runTicks(spec, start, ticks))
          if (decision.held.length > 0 && inBounds(spec, input.current))
            expect(decision.desired, decision.reason).toBeGreaterThanOrEqual(input.current);
      }),
      { numRuns: 400 },
    );
  });

  it('the fast path never scales down while it lasts', () => {
    fc.assert(
      fc.property(scenario, ({ spec, start, ticks }) => {
        for (const { input, decision } of runTicks(spec, start, ticks))
          if (decision.panic && inBounds(spec, input.current))
            expect(decision.desired).toBeGreaterThanOrEqual(input.current);
      }),
      { numRuns: 400 },
    );
  });

  it('inside the tolerance band (every metric within 10% of its target, no burst) the count does not move', () => {
    const arb = scenario.chain(({ spec, start, ticks }) =>
      fc.record({
        spec: fc.constant(spec),
        start: fc.constant(start),
        ticks: fc.constant(ticks),
        current: fc.integer({ min: Math.max(1, spec.minReplicas), max: spec.maxReplicas }),
        offsets: fc.array(fc.double({ min: -0.1, max: 0.1, noNaN: true }), {
          minLength: spec.metrics.length,
          maxLength: spec.metrics.length,
        }),
        later: fc.integer({ min: 0, max: 600 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ spec, start, ticks, current, offsets, later }) => {
        // any history, then readings inside the band
        const history = runTicks(spec, start, ticks);
        const last = history.at(-1)!;
        const now = last.input.now + later * SECOND;
        const samples: MetricSamples = {};
        spec.metrics.forEach((m, i) => {
          samples[m.type] = { value: targetOf(m) * (1 + offsets[i]!), sampledAt: now, windowMs: 60_000 };
        });
        const state = { ...last.decision.state, panic: null };
        const d = decideScale({ now, current, spec, samples, shortSamples: samples, state });
        expect(d.direction, d.reason).toBe('none');
      }),
      { numRuns: 400 },
    );
  });

  it('under a constant load the count moves one way only: never up then down, or down then up', () => {
    const arb = specArb.chain((spec) =>
      fc.record({
        spec: fc.constant(spec),
        start: fc.integer({ min: spec.minReplicas, max: spec.maxReplicas }),
        // each metric's total over the replicas, from idle to 3x the target of every replica
        // (none, or at least a thousandth: a denormal total divided by the replicas underflows to 0)
        totals: fc.tuple(
          ...spec.metrics.map((m) =>
            fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 3 * spec.maxReplicas * targetOf(m), noNaN: true })),
          ),
        ),
        dts: fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 2, maxLength: 60 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ spec, start, totals: given, dts }) => {
        // A deployment that scales to zero is idle when its listener sees no request, whatever cpu
        // says (requests are its work): that load is idle throughout.
        const traffic = spec.metrics.flatMap((m, i) => (LISTENER_TRAFFIC.includes(m.type) ? [given[i]!] : []));
        const idle = spec.minReplicas === 0 && traffic.length > 0 && traffic.every((t) => t === 0);
        const totals = idle ? given.map(() => 0) : given;
        let now = T0;
        let current = start;
        let state: AutoscalerState | undefined;
        const directions: string[] = [];
        for (const dt of dts) {
          now += dt * SECOND;
          const samples: MetricSamples = {};
          spec.metrics.forEach((m, i) => {
            const total = totals[i]!;
            samples[m.type] = { value: current > 0 ? total / current : total, sampledAt: now, windowMs: 60_000 };
          });
          const d = decideScale({ now, current, spec, samples, state });
          if (d.direction !== 'none') directions.push(d.direction);
          state = d.state;
          current = d.desired;
        }
        expect(new Set(directions).size, directions.join(' ')).toBeLessThanOrEqual(1);
      }),
      { numRuns: 400 },
    );
  });

  it('the state stays bounded: what the windows and periods can see, and plain JSON', () => {
    fc.assert(
      fc.property(scenario, ({ spec, start, ticks }) => {
        const h = stateHorizons(spec);
        const steps = runTicks(spec, start, ticks);
        steps.forEach(({ input, decision }, i) => {
          const { state } = decision;
          const now = input.now;
          expect(JSON.parse(JSON.stringify(state))).toEqual(state);
          for (const r of state.recommendations) expect(r.at).toBeGreaterThan(now - h.recommendationsMs);
          expect(state.recommendations.length).toBeLessThanOrEqual(
            2 * (spec.maxReplicas - Math.max(1, spec.minReplicas) + 1),
          );
          for (const e of state.scaleEvents) expect(e.at).toBeGreaterThan(now - h.eventsMs);
          const changesInPeriod = steps
            .slice(0, i + 1)
            .filter((s) => s.input.now > now - h.eventsMs && s.decision.direction !== 'none').length;
          expect(state.scaleEvents.length).toBeLessThanOrEqual(changesInPeriod);
          if (state.panic)
            expect(now - state.panic.lastTriggeredAt).toBeLessThanOrEqual(autoscalerOptions().panicHoldMs);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a long run of frequent decisions keeps at most two recommendations per replica count', () => {
    const narrow = specArb.filter((s) => s.maxReplicas <= 4 && s.behavior.scaleDown.stabilizationWindowSeconds >= 60);
    const arb = narrow.chain((spec) =>
      fc.record({
        spec: fc.constant(spec),
        start: fc.integer({ min: 0, max: 5 }),
        ticks: ticksArb(spec, { minLength: 200, maxLength: 300, maxDt: 2, nudges: false }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ spec, start, ticks }) => {
        const last = runTicks(spec, start, ticks).at(-1)!.decision.state;
        expect(last.recommendations.length).toBeLessThanOrEqual(
          2 * (spec.maxReplicas - Math.max(1, spec.minReplicas) + 1),
        );
      }),
      { numRuns: 20 },
    );
  });

  it('compacting the recommendations changes no window’s lowest or highest', () => {
    const entry = fc.record({ at: fc.integer({ min: 0, max: 1000 }), replicas: fc.integer({ min: 0, max: 12 }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), fc.integer({ min: -1, max: 1001 }), (list, cutoff) => {
        const compact = compactRecommendations(list);
        const seen = (l: typeof list) => l.filter((r) => r.at > cutoff).map((r) => r.replicas);
        const a = seen(list);
        const b = seen(compact);
        expect(b.length > 0).toBe(a.length > 0);
        if (a.length) {
          expect(Math.min(...b)).toBe(Math.min(...a));
          expect(Math.max(...b)).toBe(Math.max(...a));
        }
        expect(compact.length).toBeLessThanOrEqual(2 * 13);
      }),
      { numRuns: 2000 },
    );
  });
});
