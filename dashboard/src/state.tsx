import type { ReplicaStatus } from './api';

type State = ReplicaStatus['state'];

/** Each state has its own shape and word: colour only repeats what they say. */
export const STATE_ICON: Record<State, string> = {
  ready: '●',
  starting: '◐',
  pending: '○',
  unhealthy: '▲',
  failed: '✕',
  stopped: '■',
};

export const STATES: State[] = ['ready', 'starting', 'pending', 'unhealthy', 'failed', 'stopped'];

export function StateIcon({ state, label }: { state: State; label?: string }) {
  return (
    <span class={`state state-${state}`} data-state={state} title={label ?? state}>
      <span aria-hidden="true">{STATE_ICON[state]}</span>
      <span class="sr-only">{label ?? state}</span>
    </span>
  );
}

/** "3 ready, 1 starting": counts by state, each with its icon and word. */
export function StateCounts({ replicas }: { replicas: ReplicaStatus[] }) {
  const counts = new Map<State, number>();
  for (const r of replicas) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  return (
    <span class="counts">
      {STATES.filter((s) => counts.has(s)).map((s) => (
        <span key={s} class={`count state-${s}`} data-count-state={s} data-count={counts.get(s)}>
          <span aria-hidden="true">{STATE_ICON[s]}</span> {counts.get(s)} {s}
        </span>
      ))}
    </span>
  );
}

export const short = (rev: string) => rev.slice(0, 8);
