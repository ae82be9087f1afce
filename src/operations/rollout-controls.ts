import { SkyfleetError, ValidationError } from '../errors/index.js';
import type { RolloutState } from '../rollout/types.js';
import type { DeploymentRecord, RevisionRecord, Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';

/** The operator's controls on a progressive rollout, as changes of its stored state. */
export const rolloutChanges = {
  promote: (st: RolloutState): RolloutState => ({ ...st, promote: true, pausedByUser: false }),
  pause: (st: RolloutState): RolloutState => ({ ...st, pausedByUser: true }),
  resume: (st: RolloutState): RolloutState => ({ ...st, pausedByUser: false }),
  abort: (st: RolloutState): RolloutState => ({ ...st, abort: true }),
} as const;

export type RolloutControl = keyof typeof rolloutChanges;

/**
 * Sets an operator's flag on the stored rollout of `rec`; the controller acts on it at its next
 * pass. Refused when no BlueGreen/Canary rollout is in progress, saying why.
 */
export async function controlRollout(
  store: Store,
  clock: Clock,
  rec: DeploymentRecord,
  op: RolloutControl,
): Promise<RolloutState> {
  const name = rec.name;
  const st = await store.getRollout(name);
  if (!st || (st.phase !== 'Progressing' && st.phase !== 'Paused')) {
    const strategy = rec.spec.spec.strategy.type;
    throw new SkyfleetError(
      'no_rollout',
      `deployment ${name} has no rollout in progress to ${op}${st ? ` (its last rollout is ${st.phase})` : strategy === 'RollingUpdate' || strategy === 'Recreate' ? ` (strategy ${strategy} has no steps to control)` : ''}`,
    );
  }
  const next = rolloutChanges[op](st);
  await store.putRollout(name, next);
  await store.addEvent({
    time: clock.now(),
    deployment: name,
    type: 'Normal',
    reason: `Rollout${op[0]!.toUpperCase()}${op.slice(1)}`,
    message: `${op} requested`,
  });
  return next;
}

/**
 * The revision `rollout undo` goes back to: `toRevision` by number, or the newest recorded one
 * older than the current revision.
 */
export function undoTarget(
  rec: DeploymentRecord,
  history: readonly RevisionRecord[],
  toRevision: number | undefined,
): RevisionRecord {
  const current = history.find((h) => h.revision === rec.revision);
  const target =
    toRevision !== undefined
      ? history.find((h) => h.number === toRevision)
      : [...history].reverse().find((h) => h.revision !== rec.revision && (!current || h.number < current.number));
  if (!target && toRevision === undefined) {
    const recorded = history.map((h) => `#${h.number}`).join(', ');
    throw new ValidationError([
      {
        path: '',
        message:
          history.length <= 1
            ? `${rec.name} has only one revision (${recorded || 'none recorded'}): nothing to undo to`
            : `${rec.name} has no revision before the current one (recorded: ${recorded}): nothing to undo to`,
      },
    ]);
  }
  if (!target) {
    throw new ValidationError([
      {
        path: '--to-revision',
        message: `no such revision of ${rec.name}${toRevision !== undefined ? ` (#${toRevision})` : ''}: recorded ${history.map((h) => `#${h.number}`).join(', ') || 'none'}`,
      },
    ]);
  }
  return target;
}
