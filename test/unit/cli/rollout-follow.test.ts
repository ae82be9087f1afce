import { describe, expect, it } from 'vitest';
import { followRollout, rolloutOutcome } from '../../../src/cli/rollout-follow.js';
import type { RolloutStatus } from '../../../src/fleet.js';
import type { RolloutState } from '../../../src/rollout/types.js';

const state = (phase: RolloutState['phase'], step: number, message: string, canary = 'r2'): RolloutState => ({
  strategy: 'Canary',
  stable: 'r1',
  canary,
  step,
  stepStartedAt: 0,
  phase,
  message,
  pausedByUser: false,
  promote: false,
  abort: false,
});

const status = (
  s: RolloutState | undefined,
  ready: number,
  o: { strategy?: RolloutStatus['strategy']; current?: number; old?: number } = {},
): RolloutStatus => ({
  deployment: 'web',
  strategy: o.strategy ?? 'Canary',
  state: s,
  status: {
    name: 'web',
    revision: 'r2',
    revisionNumber: 2,
    generation: 2,
    replicas: 4,
    ready,
    current: o.current ?? ready,
    domains: [{ target: 'lab', zone: 'a', desired: 4, current: o.current ?? ready, ready, old: o.old ?? 0 }],
    slices: [],
    conditions: [],
  } as unknown as RolloutStatus['status'],
});

/** A feed the test drives: each `push()` is one change from the server. */
function scriptedFeed() {
  let wake: (() => void) | undefined;
  return {
    feed: (w: () => void, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        wake = w;
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    push: () => wake?.(),
  };
}

describe('followRollout', () => {
  it('reads again on each change of the feed and reports each new state once, until Completed', async () => {
    const script = [
      status(state('Progressing', 0, 'step 1: weight 25%, 0/1 canary replicas ready'), 4),
      status(state('Progressing', 0, 'step 1: weight 25%, 0/1 canary replicas ready'), 4),
      status(state('Paused', 1, 'step 2: paused at 25%'), 4),
      status(state('Completed', 2, 'r2 serving 100%'), 4),
    ];
    const { feed, push } = scriptedFeed();
    const lines: string[] = [];
    let reads = 0;
    const done = followRollout({
      name: 'web',
      read: async () => {
        const s = script[Math.min(reads, script.length - 1)]!;
        reads++;
        // the next change arrives on the feed only after this read: polling alone (1 h) would never get there
        setImmediate(push);
        return s;
      },
      feed,
      pollMs: 3_600_000,
      signal: new AbortController().signal,
      onChange: (line) => lines.push(line),
    });
    const last = await done;
    expect(last.state?.phase).toBe('Completed');
    expect(lines).toEqual([
      'deployment/web: Canary Progressing step 0: step 1: weight 25%, 0/1 canary replicas ready (ready 4/4)',
      'deployment/web: Canary Paused step 1: step 2: paused at 25% (ready 4/4)',
      'deployment/web: Canary Completed step 2: r2 serving 100% (ready 4/4)',
    ]);
  });

  it('an aborted rollout is a rollout_aborted error with its message', async () => {
    const script = [status(state('Paused', 1, 'paused'), 4), status(state('Aborted', 1, 'aborted: back to r1'), 4)];
    let reads = 0;
    const lines: string[] = [];
    await expect(
      followRollout({
        name: 'web',
        read: async () => script[Math.min(reads++, 1)]!,
        pollMs: 1,
        signal: new AbortController().signal,
        onChange: (l) => lines.push(l),
      }),
    ).rejects.toMatchObject({
      code: 'rollout_aborted',
      message: 'deployment/web rollout aborted: aborted: back to r1',
    });
    expect(lines).toHaveLength(2);
  });

  it('without a feed it polls; an interrupt and a timeout end it with errors that say so', async () => {
    const ac = new AbortController();
    let reads = 0;
    const following = followRollout({
      name: 'web',
      read: async () => {
        if (++reads === 3) ac.abort(new Error('SIGINT'));
        return status(state('Paused', 1, 'paused'), 4);
      },
      pollMs: 1,
      signal: ac.signal,
      onChange: () => undefined,
    });
    await expect(following).rejects.toMatchObject({
      code: 'aborted',
      message: /interrupted before the rollout finished/,
    });
    expect(reads).toBe(3);
    await expect(
      followRollout({
        name: 'web',
        read: async () => status(state('Paused', 1, 'paused'), 4),
        pollMs: 5,
        timeoutMs: 30,
        signal: new AbortController().signal,
        onChange: () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'not_converged', message: /not finished after the --timeout; it is at: .*Paused/ });
  });

  it('a feed that fails ends it with the feed error', async () => {
    await expect(
      followRollout({
        name: 'web',
        read: async () => status(state('Paused', 1, 'paused'), 4),
        feed: async () => {
          throw Object.assign(new Error('the token is not valid'), { code: 'unauthorized' });
        },
        pollMs: 3_600_000,
        signal: new AbortController().signal,
        onChange: () => undefined,
      }),
    ).rejects.toThrow('the token is not valid');
  });
});

describe('rolloutOutcome', () => {
  it('a finished state of an earlier revision is not the end of this rollout', () => {
    expect(rolloutOutcome(status(state('Completed', 2, 'done', 'r1'), 4))).toBeUndefined();
    expect(rolloutOutcome(status(state('Aborted', 1, 'x', 'r1'), 4))).toBeUndefined();
    expect(rolloutOutcome(status(undefined, 4))).toBeUndefined();
    expect(rolloutOutcome(status(state('Completed', 2, 'done'), 4))).toBe('Completed');
    expect(rolloutOutcome(status(state('Aborted', 1, 'x'), 4))).toBe('Aborted');
  });

  it('a RollingUpdate is complete when every replica is ready and current, and no old one is left', () => {
    const ru = { strategy: 'RollingUpdate' as const };
    expect(rolloutOutcome(status(undefined, 4, ru))).toBe('Completed');
    expect(rolloutOutcome(status(undefined, 3, ru))).toBeUndefined();
    expect(rolloutOutcome(status(undefined, 4, { ...ru, current: 3 }))).toBeUndefined();
    expect(rolloutOutcome(status(undefined, 4, { ...ru, old: 1 }))).toBeUndefined();
  });
});
