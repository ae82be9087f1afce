import type { CanaryStep, DeploymentRecord, RolloutStatus } from './api';
import { short } from './state';

function stepWords(s: CanaryStep): string {
  if ('setWeight' in s) return `set weight ${s.setWeight}%`;
  if ('pause' in s) return s.pause.duration !== undefined ? `pause ${s.pause.duration}` : 'pause until promoted';
  const a = s.analysis;
  return `analysis: ${[
    a.successRate ? `success rate ${a.successRate}` : '',
    a.p99LatencyMs ? `p99 ${a.p99LatencyMs} ms` : '',
    a.window !== undefined ? `over ${a.window}` : '',
  ]
    .filter(Boolean)
    .join(', ')}`;
}

/** The canary's traffic weight at a step: the last setWeight at or before it. */
function weightAt(steps: CanaryStep[], step: number): number {
  let w = 0;
  for (let i = 0; i <= Math.min(step, steps.length - 1); i++) {
    const s = steps[i];
    if (s && 'setWeight' in s) w = s.setWeight;
  }
  return step >= steps.length ? 100 : w;
}

/** Canary steps with the current one marked; BlueGreen's preview and active; why it stopped. */
export function RolloutView({ record, rollout }: { record: DeploymentRecord; rollout: RolloutStatus | undefined }) {
  const strategy = record.spec.spec.strategy;
  const st = rollout?.state;
  if (!strategy || (strategy.type !== 'Canary' && strategy.type !== 'BlueGreen')) {
    return (
      <section aria-labelledby="rollout-h">
        <h2 id="rollout-h">Rollout</h2>
        <p>
          {strategy?.type ?? 'RollingUpdate'}
          {strategy?.rollingUpdate
            ? `: max surge ${strategy.rollingUpdate.maxSurge}, max unavailable ${strategy.rollingUpdate.maxUnavailable}`
            : ''}
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="rollout-h" class="rollout" data-phase={st?.phase ?? 'none'}>
      <h2 id="rollout-h">Rollout: {strategy.type}</h2>
      {st ? (
        <p class="phase">
          Phase <strong data-testid="rollout-phase">{st.phase}</strong>
          {st.pausedByUser ? ' (paused by a user)' : ''} · stable <code>{st.stable ? short(st.stable) : 'none'}</code> ·{' '}
          {strategy.type === 'Canary' ? 'canary' : 'preview'} <code>{short(st.canary)}</code>
        </p>
      ) : (
        <p>No rollout in progress.</p>
      )}
      {st?.message && (
        <p class={st.phase === 'Aborted' ? 'warn' : 'note'} data-testid="rollout-message">
          {st.phase === 'Aborted' ? <span aria-hidden="true">⚠ </span> : null}
          {st.message}
        </p>
      )}
      {strategy.type === 'Canary' && strategy.canary && (
        <ol class="steps">
          {strategy.canary.steps.map((s, i) => {
            const current = st !== undefined && st.phase !== 'Completed' && i === st.step;
            const done = st !== undefined && (i < st.step || st.phase === 'Completed');
            return (
              <li
                key={i}
                class={`step ${current ? 'current' : ''} ${done ? 'done' : ''}`}
                aria-current={current ? 'step' : undefined}
                data-step={i}
              >
                <span aria-hidden="true">{current ? '▶' : done ? '✓' : '·'}</span> Step {i + 1}: {stepWords(s)}
                {current ? ' (current)' : done ? ' (done)' : ''}
                <span class="weight"> · canary weight {weightAt(strategy.canary?.steps ?? [], i)}%</span>
              </li>
            );
          })}
        </ol>
      )}
      {strategy.type === 'BlueGreen' && st && (
        <dl class="bluegreen">
          <dt>Active (serving)</dt>
          <dd>
            <code>{short(st.step >= 1 ? st.canary : (st.stable ?? st.canary))}</code>
          </dd>
          <dt>Preview</dt>
          <dd>
            <code>{st.step >= 1 ? 'none (promoted)' : short(st.canary)}</code>
          </dd>
        </dl>
      )}
    </section>
  );
}
