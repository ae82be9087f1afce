import type { Strategy } from '../spec/deployment.js';
import { analyse, type TrafficStats } from './analysis.js';
import { durationMs } from './durations.js';
import type { RolloutState } from './types.js';

type ProgressiveStrategy = Extract<Strategy, { type: 'BlueGreen' | 'Canary' }>;

export interface RolloutInput {
  strategy: ProgressiveStrategy;
  replicas: number;
  /** The spec's revision. */
  revision: string;
  state: RolloutState | undefined;
  /** Ready replicas per revision, over all domains. */
  ready: ReadonlyMap<string, number>;
  /** Traffic outcomes of a revision over a window (the router's stats); undefined without a router. */
  stats?: (revision: string, windowMs: number) => TrafficStats | undefined;
  /**
   * With no rollout on record (a first Canary/BlueGreen after a RollingUpdate, or a lost store):
   * the revision serving now, which the rollout starts from.
   */
  serving?: string;
  /** True when traffic is split by weights (a router or a native split): stable stays full size. */
  weighted: boolean;
  now: number;
}

export interface RolloutEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface RolloutDecision {
  state: RolloutState;
  /** Replicas wanted per revision. */
  replicas: Map<string, number>;
  /** Traffic share per revision in percent (sums to 100), for the main listener. */
  weights: Record<string, number>;
  /** BlueGreen: the revision the preview listener serves before promotion. */
  preview?: string;
  events: RolloutEvent[];
}

const pct = (replicas: number, weight: number) =>
  weight <= 0 ? 0 : weight >= 100 ? replicas : Math.min(replicas, Math.max(1, Math.ceil((replicas * weight) / 100)));

/**
 * One step of a BlueGreen or Canary rollout, as a pure function of where it stands and what is
 * ready (Argo Rollouts' semantics): how many replicas each revision should have, how traffic is
 * split, and the next state. Time comes in `now`; analysis reads traffic through `stats`.
 */
export function rolloutStep(input: RolloutInput): RolloutDecision {
  const { strategy, replicas, revision, now } = input;
  const events: RolloutEvent[] = [];
  let st = input.state ? { ...input.state } : undefined;

  // a new revision starts a rollout from whatever served last
  if (!st || st.canary !== revision) {
    const stable = !st ? (input.serving ?? null) : st.phase === 'Completed' ? st.canary : st.stable;
    st = {
      strategy: strategy.type,
      stable: stable === revision ? null : stable,
      canary: revision,
      step: 0,
      stepStartedAt: now,
      phase: 'Progressing',
      message: '',
      pausedByUser: false,
      promote: false,
      abort: false,
    };
    if (st.stable)
      events.push({
        type: 'Normal',
        reason: 'RolloutStarted',
        message: `${strategy.type} rollout of ${revision} over ${st.stable}`,
      });
  }
  const ready = (r: string | null) => (r ? (input.ready.get(r) ?? 0) : 0);
  const result = (
    replicasBy: Array<[string | null, number]>,
    weights: Array<[string | null, number]>,
    preview?: string,
  ): RolloutDecision => {
    const m = new Map<string, number>();
    for (const [r, n] of replicasBy) if (r) m.set(r, (m.get(r) ?? 0) + n);
    const w: Record<string, number> = {};
    for (const [r, n] of weights) if (r && n > 0) w[r] = (w[r] ?? 0) + n;
    return { state: st!, replicas: m, weights: w, ...(preview ? { preview } : {}), events };
  };

  // nothing to roll from: the revision simply runs
  if (!st.stable) {
    if (st.phase !== 'Completed') {
      st.phase = 'Completed';
      st.message = `${revision} serving`;
    }
    return result([[revision, replicas]], [[revision, 100]]);
  }
  if (st.phase === 'Completed') return result([[st.canary, replicas]], [[st.canary, 100]]);

  if (st.abort && st.phase !== 'Aborted') {
    st.phase = 'Aborted';
    st.abort = false;
    st.message = `aborted: back to ${st.stable}`;
    events.push({ type: 'Warning', reason: 'RolloutAborted', message: st.message });
  }
  if (st.phase === 'Aborted') return result([[st.stable, replicas]], [[st.stable, 100]]);

  if (strategy.type === 'BlueGreen') return blueGreen(st, strategy.blueGreen, replicas, ready, now, events, result);
  return canary(st, strategy.canary.steps, input, ready, events, result);
}

function blueGreen(
  st: RolloutState,
  spec: { scaleDownDelaySeconds: number; autoPromote: boolean },
  replicas: number,
  ready: (r: string | null) => number,
  now: number,
  events: RolloutEvent[],
  result: (r: Array<[string | null, number]>, w: Array<[string | null, number]>, preview?: string) => RolloutDecision,
): RolloutDecision {
  const green = st.canary;
  const blue = st.stable;
  if (st.step === 0) {
    const greenReady = ready(green) >= replicas;
    if (greenReady && (st.promote || (spec.autoPromote && !st.pausedByUser))) {
      st.step = 1;
      st.promote = false;
      st.promotedAt = now;
      st.stepStartedAt = now;
      st.phase = 'Progressing';
      st.message = `promoted: traffic on ${green}; ${blue} goes in ${spec.scaleDownDelaySeconds}s`;
      events.push({ type: 'Normal', reason: 'RolloutPromoted', message: st.message });
    } else {
      const waiting = greenReady
        ? st.pausedByUser
          ? 'paused'
          : 'ready: waiting for `rollout promote`'
        : `preview ${ready(green)}/${replicas} ready`;
      st.phase = greenReady ? 'Paused' : 'Progressing';
      st.message = `${green} ${waiting}`;
      return result(
        [
          [blue, replicas],
          [green, replicas],
        ],
        [[blue, 100]],
        green,
      );
    }
  }
  // promoted: the old revision stays for scaleDownDelaySeconds (a fast abort), then goes
  if (now - (st.promotedAt ?? now) >= spec.scaleDownDelaySeconds * 1000) {
    st.phase = 'Completed';
    st.message = `${green} serving; ${blue} scaled down`;
    events.push({ type: 'Normal', reason: 'RolloutCompleted', message: st.message });
    return result([[green, replicas]], [[green, 100]]);
  }
  return result(
    [
      [blue, replicas],
      [green, replicas],
    ],
    [[green, 100]],
  );
}

function canary(
  st: RolloutState,
  steps: ReadonlyArray<import('../spec/deployment.js').CanaryStep>,
  input: RolloutInput,
  ready: (r: string | null) => number,
  events: RolloutEvent[],
  result: (r: Array<[string | null, number]>, w: Array<[string | null, number]>) => RolloutDecision,
): RolloutDecision {
  const { replicas, now } = input;
  const stable = st.stable!;
  const weightAt = (i: number) => {
    let w = 0;
    for (let k = 0; k < Math.min(i + 1, steps.length); k++) {
      const s = steps[k]!;
      if ('setWeight' in s) w = s.setWeight;
    }
    return i >= steps.length ? 100 : w;
  };
  if (st.promote) {
    st.promote = false;
    st.step = steps.length;
    st.stepStartedAt = now;
    events.push({ type: 'Normal', reason: 'RolloutPromoted', message: `promoted: skipping to 100% on ${st.canary}` });
  }
  // walk the steps as far as their conditions allow, in one call
  for (let guard = 0; guard <= steps.length + 1; guard++) {
    const w = weightAt(st.step);
    const want = pct(replicas, w);
    const canaryReady = ready(st.canary) >= want;
    if (st.step >= steps.length) {
      if (ready(st.canary) >= replicas) {
        st.phase = 'Completed';
        st.message = `${st.canary} serving 100%`;
        events.push({ type: 'Normal', reason: 'RolloutCompleted', message: st.message });
        return result([[st.canary, replicas]], [[st.canary, 100]]);
      }
      st.phase = 'Progressing';
      st.message = `${st.canary} ${ready(st.canary)}/${replicas} ready before taking all traffic`;
      return result(
        [
          [stable, replicas],
          [st.canary, replicas],
        ],
        split(stable, st.canary, w, ready),
      );
    }
    const step = steps[st.step]!;
    const hold = () =>
      result(
        [
          [stable, input.weighted ? replicas : Math.max(0, replicas - want)],
          [st.canary, want],
        ],
        split(stable, st.canary, w, ready),
      );
    if (st.pausedByUser) {
      st.phase = 'Paused';
      st.message = `paused by the user at step ${st.step + 1}`;
      return hold();
    }
    let advance = false;
    if ('setWeight' in step) {
      advance = canaryReady;
      if (!advance) {
        st.phase = 'Progressing';
        st.message = `step ${st.step + 1}: weight ${w}%, ${ready(st.canary)}/${want} canary replicas ready`;
      }
    } else if ('pause' in step) {
      if (step.pause.duration === undefined) {
        st.phase = 'Paused';
        st.message = `step ${st.step + 1}: paused at ${w}%: waiting for \`rollout promote\``;
      } else {
        const left = durationMs(step.pause.duration) - (now - st.stepStartedAt);
        advance = left <= 0;
        if (!advance) {
          st.phase = 'Progressing';
          st.message = `step ${st.step + 1}: pause at ${w}%, ${Math.ceil(left / 1000)}s left`;
        }
      }
    } else {
      const a = step.analysis;
      const window = durationMs(a.window);
      if (now - st.stepStartedAt < window) {
        st.phase = 'Progressing';
        st.message = `step ${st.step + 1}: analysing ${st.canary} at ${w}% (${Math.ceil((window - (now - st.stepStartedAt)) / 1000)}s left)`;
      } else {
        const verdict = analyse(a, input.stats?.(st.canary, window));
        if (verdict.result === 'fail') {
          st.phase = 'Aborted';
          st.message = `analysis failed at step ${st.step + 1}: ${verdict.message}; rolled back to ${stable}`;
          events.push({ type: 'Warning', reason: 'AnalysisFailed', message: st.message });
          return result([[stable, replicas]], [[stable, 100]]);
        }
        if (verdict.result === 'inconclusive') {
          st.phase = 'Progressing';
          st.message = `step ${st.step + 1}: analysis inconclusive: ${verdict.message}`;
        } else {
          events.push({ type: 'Normal', reason: 'AnalysisPassed', message: `step ${st.step + 1}: ${verdict.message}` });
          advance = true;
        }
      }
    }
    if (!advance) return hold();
    st.step += 1;
    st.stepStartedAt = now;
    st.phase = 'Progressing';
  }
  return result(
    [
      [stable, replicas],
      [st.canary, replicas],
    ],
    split(stable, st.canary, 100, ready),
  );
}

/** Traffic by weight, but never to a revision with no ready replica. */
function split(
  stable: string,
  canaryRev: string,
  w: number,
  ready: (r: string | null) => number,
): Array<[string, number]> {
  const c = ready(canaryRev) > 0 ? w : 0;
  const s = 100 - c;
  if (s > 0 && ready(stable) === 0 && ready(canaryRev) > 0) return [[canaryRev, 100]];
  return [
    [stable, s],
    [canaryRev, c],
  ];
}
