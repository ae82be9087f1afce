import { describe, expect, it } from 'vitest';
import { analyse } from '../../../src/rollout/analysis.js';
import { type RolloutDecision, type RolloutInput, rolloutStep } from '../../../src/rollout/rollout-step.js';
import type { RolloutState } from '../../../src/rollout/types.js';
import { parseDeployment } from '../../../src/spec/load.js';

const strategyOf = (strategy: unknown) =>
  parseDeployment({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'w' },
    spec: { template: { containers: [{ name: 'w', image: 'x' }] }, strategy },
  }).spec.strategy as RolloutInput['strategy'];

const canary = strategyOf({
  type: 'Canary',
  canary: {
    steps: [
      { setWeight: 10 },
      { pause: { duration: '30s' } },
      { analysis: { successRate: '>= 0.99', p99LatencyMs: '<= 300', window: '10s', minRequests: 10 } },
      { setWeight: 50 },
      { pause: {} },
    ],
  },
});
const completed = (rev: string, strategy: 'Canary' | 'BlueGreen' = 'Canary'): RolloutState => ({
  strategy,
  stable: null,
  canary: rev,
  step: 0,
  stepStartedAt: 0,
  phase: 'Completed',
  message: '',
  pausedByUser: false,
  promote: false,
  abort: false,
});

/** Drives the step function like the controller does: counts become ready at once. */
function drive(input: Omit<RolloutInput, 'ready' | 'now'> & { now: number }, times = 1): RolloutDecision {
  let d = rolloutStep({ ...input, ready: new Map() });
  for (let i = 0; i < times; i++) d = rolloutStep({ ...input, state: d.state, ready: d.replicas });
  return d;
}

describe('canary', () => {
  it('first deploy serves the revision at once', () => {
    const d = rolloutStep({
      strategy: canary,
      replicas: 4,
      revision: 'a',
      state: undefined,
      ready: new Map(),
      weighted: true,
      now: 0,
    });
    expect(d.state.phase).toBe('Completed');
    expect([...d.replicas]).toEqual([['a', 4]]);
    expect(d.weights).toEqual({ a: 100 });
  });

  it('walks setWeight, timed pause, analysis, then waits at an empty pause for promote, then completes', () => {
    const base = { strategy: canary, replicas: 10, revision: 'b', weighted: true };
    let d = drive({ ...base, state: completed('a'), now: 1000 });
    // setWeight 10 done once the 1 canary replica is ready; the 30s pause holds
    expect(d.state).toMatchObject({ stable: 'a', canary: 'b', step: 1, phase: 'Progressing' });
    expect(d.replicas).toEqual(
      new Map([
        ['a', 10],
        ['b', 1],
      ]),
    );
    expect(d.weights).toEqual({ a: 90, b: 10 });
    expect(d.state.message).toMatch(/pause at 10%, 30s left/);

    // 30s later: analysis starts; with no traffic yet its window has not passed
    d = rolloutStep({ ...base, state: d.state, ready: d.replicas, now: 31_000 });
    expect(d.state.step).toBe(2);
    // after the window, good traffic passes, setWeight 50 is applied and the empty pause holds
    const good = { requests: 500, errors: 1, successRate: 0.998, p99Ms: 120 };
    d = rolloutStep({ ...base, state: d.state, ready: d.replicas, now: 42_000, stats: () => good });
    expect(d.events.map((e) => e.reason)).toContain('AnalysisPassed');
    d = rolloutStep({ ...base, state: d.state, ready: d.replicas, now: 42_001, stats: () => good });
    expect(d.state).toMatchObject({ step: 4, phase: 'Paused' });
    expect(d.replicas).toEqual(
      new Map([
        ['a', 10],
        ['b', 5],
      ]),
    );
    expect(d.weights).toEqual({ a: 50, b: 50 });

    // promote: canary to full size, then all traffic, then the stable goes
    d = rolloutStep({ ...base, state: { ...d.state, promote: true }, ready: d.replicas, now: 50_000 });
    expect(d.replicas.get('b')).toBe(10);
    expect(d.state.phase).toBe('Progressing');
    d = rolloutStep({ ...base, state: d.state, ready: d.replicas, now: 51_000 });
    expect(d.state.phase).toBe('Completed');
    expect(d.replicas).toEqual(new Map([['b', 10]]));
    expect(d.weights).toEqual({ b: 100 });
  });

  it('rolls back on its own when the analysis fails, and says why', () => {
    const base = { strategy: canary, replicas: 10, revision: 'b', weighted: true };
    let d = drive({ ...base, state: completed('a'), now: 0 });
    d = rolloutStep({ ...base, state: d.state, ready: d.replicas, now: 30_000 });
    const bad = { requests: 200, errors: 40, successRate: 0.8, p99Ms: 900 };
    d = rolloutStep({ ...base, state: d.state, ready: d.replicas, now: 41_000, stats: () => bad });
    expect(d.state.phase).toBe('Aborted');
    expect(d.state.message).toMatch(
      /analysis failed at step 3: success rate 0.8000 \(40 errors in 200 requests\) misses >= 0.99; p99 latency 900 ms misses <= 300; rolled back to a/,
    );
    expect(d.replicas).toEqual(new Map([['a', 10]]));
    expect(d.weights).toEqual({ a: 100 });
    expect(d.events[0]).toMatchObject({ type: 'Warning', reason: 'AnalysisFailed' });
    // it stays rolled back until the spec changes
    d = rolloutStep({ ...base, state: d.state, ready: d.replicas, now: 60_000 });
    expect(d.state.phase).toBe('Aborted');
  });

  it('an inconclusive analysis (too little traffic) waits instead of passing', () => {
    const base = { strategy: canary, replicas: 10, revision: 'b', weighted: true };
    let d = drive({ ...base, state: completed('a'), now: 0 });
    d = rolloutStep({ ...base, state: d.state, ready: d.replicas, now: 30_000 });
    d = rolloutStep({
      ...base,
      state: d.state,
      ready: d.replicas,
      now: 41_000,
      stats: () => ({ requests: 3, errors: 0, successRate: 1, p99Ms: 5 }),
    });
    expect(d.state.step).toBe(2);
    expect(d.state.message).toMatch(/inconclusive: 3 requests/);
  });

  it('without weighted traffic, shifts replica counts instead', () => {
    const d = drive({ strategy: canary, replicas: 10, revision: 'b', weighted: false, state: completed('a'), now: 0 });
    expect(d.replicas).toEqual(
      new Map([
        ['a', 9],
        ['b', 1],
      ]),
    );
  });

  it('abort returns to the stable revision; a user pause holds the step', () => {
    const base = { strategy: canary, replicas: 4, revision: 'b', weighted: true };
    let d = drive({ ...base, state: completed('a'), now: 0 });
    d = rolloutStep({ ...base, state: { ...d.state, pausedByUser: true }, ready: d.replicas, now: 100_000 });
    expect(d.state).toMatchObject({ step: 1, phase: 'Paused' });
    d = rolloutStep({ ...base, state: { ...d.state, abort: true }, ready: d.replicas, now: 100_001 });
    expect(d.state.phase).toBe('Aborted');
    expect(d.replicas).toEqual(new Map([['a', 4]]));
  });

  it('with no rollout on record, starts from the revision serving now (e.g. after a RollingUpdate)', () => {
    const d = rolloutStep({
      strategy: canary,
      replicas: 4,
      revision: 'b',
      state: undefined,
      serving: 'a',
      ready: new Map([['a', 4]]),
      weighted: true,
      now: 0,
    });
    expect(d.state).toMatchObject({ stable: 'a', canary: 'b', phase: 'Progressing' });
    expect(d.replicas).toEqual(
      new Map([
        ['a', 4],
        ['b', 1],
      ]),
    );
  });

  it('a new revision during a rollout starts over from the stable one', () => {
    const base = { strategy: canary, replicas: 4, weighted: true };
    const d = drive({ ...base, revision: 'b', state: completed('a'), now: 0 });
    const e = rolloutStep({ ...base, revision: 'c', state: d.state, ready: d.replicas, now: 1 });
    expect(e.state).toMatchObject({ stable: 'a', canary: 'c', step: 0 });
  });
});

describe('blue-green', () => {
  const bg = (autoPromote: boolean) =>
    strategyOf({ type: 'BlueGreen', blueGreen: { scaleDownDelaySeconds: 30, autoPromote } });

  it('brings green up in full behind the preview, waits for promote, switches all traffic, then scales blue down after the delay', () => {
    const base = { strategy: bg(false), replicas: 3, revision: 'g', weighted: true };
    let d = rolloutStep({ ...base, state: completed('b', 'BlueGreen'), ready: new Map([['b', 3]]), now: 0 });
    expect(d.replicas).toEqual(
      new Map([
        ['b', 3],
        ['g', 3],
      ]),
    );
    expect(d.weights).toEqual({ b: 100 });
    expect(d.preview).toBe('g');
    d = rolloutStep({
      ...base,
      state: d.state,
      ready: new Map([
        ['b', 3],
        ['g', 3],
      ]),
      now: 1000,
    });
    expect(d.state.phase).toBe('Paused');
    expect(d.state.message).toMatch(/waiting for `rollout promote`/);
    d = rolloutStep({
      ...base,
      state: { ...d.state, promote: true },
      ready: new Map([
        ['b', 3],
        ['g', 3],
      ]),
      now: 2000,
    });
    expect(d.weights).toEqual({ g: 100 });
    expect(d.replicas).toEqual(
      new Map([
        ['b', 3],
        ['g', 3],
      ]),
    );
    d = rolloutStep({
      ...base,
      state: d.state,
      ready: new Map([
        ['b', 3],
        ['g', 3],
      ]),
      now: 31_999,
    });
    expect(d.replicas.get('b')).toBe(3);
    d = rolloutStep({
      ...base,
      state: d.state,
      ready: new Map([
        ['b', 3],
        ['g', 3],
      ]),
      now: 32_000,
    });
    expect(d.state.phase).toBe('Completed');
    expect(d.replicas).toEqual(new Map([['g', 3]]));
  });

  it('autoPromote switches as soon as green is ready; abort before scale-down goes back to blue', () => {
    const base = { strategy: bg(true), replicas: 2, revision: 'g', weighted: true };
    let d = rolloutStep({ ...base, state: completed('b', 'BlueGreen'), ready: new Map([['b', 2]]), now: 0 });
    d = rolloutStep({
      ...base,
      state: d.state,
      ready: new Map([
        ['b', 2],
        ['g', 2],
      ]),
      now: 10,
    });
    expect(d.weights).toEqual({ g: 100 });
    d = rolloutStep({
      ...base,
      state: { ...d.state, abort: true },
      ready: new Map([
        ['b', 2],
        ['g', 2],
      ]),
      now: 20,
    });
    expect(d.state.phase).toBe('Aborted');
    expect(d.weights).toEqual({ b: 100 });
    expect(d.replicas).toEqual(new Map([['b', 2]]));
  });
});

describe('analysis', () => {
  it.each([
    [
      { successRate: '>= 0.99', minRequests: 10, window: '30s' },
      { requests: 100, errors: 0, successRate: 1, p99Ms: 10 },
      'pass',
    ],
    [
      { successRate: '>= 0.99', minRequests: 10, window: '30s' },
      { requests: 100, errors: 2, successRate: 0.98, p99Ms: 10 },
      'fail',
    ],
    [
      { p99LatencyMs: '< 100', minRequests: 10, window: '30s' },
      { requests: 100, errors: 0, successRate: 1, p99Ms: 100 },
      'fail',
    ],
    [
      { p99LatencyMs: '<= 100', minRequests: 10, window: '30s' },
      { requests: 100, errors: 0, successRate: 1, p99Ms: 100 },
      'pass',
    ],
    [
      { successRate: '>= 0.99', minRequests: 10, window: '30s' },
      { requests: 9, errors: 9, successRate: 0, p99Ms: 10 },
      'inconclusive',
    ],
  ] as const)('%j on %j -> %s', (spec, stats, result) => {
    expect(analyse(spec, stats).result).toBe(result);
  });
});
