import { ValidationError } from '../errors/index.js';
import type { ConvergeResult } from '../reconcile/converge.js';
import type { Deployment } from '../spec/deployment.js';
import type { DeploymentRecord, Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';

export interface Move {
  to: string[];
  from?: string[];
}

/**
 * Moves a deployment's replicas to other targets: its placement targets change and the planner
 * moves replicas within the rolling bounds, destination first, traffic following readiness. If
 * the destination does not become ready (`apply` fails), the original placement is applied
 * again and the error is rethrown (`MigrationRolledBack`).
 */
export async function migrate(
  env: { fleet: string; store: Store; clock: Clock; targets: readonly string[] },
  rec: DeploymentRecord,
  move: Move,
  apply: (d: Deployment) => Promise<ConvergeResult>,
): Promise<ConvergeResult> {
  const { store, clock } = env;
  const name = rec.name;
  const notIn = (list: readonly string[]) =>
    `target ${list.map((t) => `"${t}"`).join(', ')} is not in fleet ${env.fleet} (targets: ${env.targets.join(', ')})`;
  const to: readonly unknown[] = Array.isArray(move?.to) ? move.to : [];
  const unknown = to.filter((t) => typeof t !== 'string' || !env.targets.includes(t)).map(String);
  const unknownFrom = (move?.from ?? []).filter((t) => !env.targets.includes(t));
  if (!to.length || unknown.length || unknownFrom.length) {
    throw new ValidationError([
      ...(!to.length || unknown.length
        ? [{ path: '--to', message: to.length ? notIn(unknown) : 'name at least one destination target' }]
        : []),
      ...(unknownFrom.length ? [{ path: '--from', message: notIn(unknownFrom) }] : []),
    ]);
  }
  const before = rec.spec;
  const current = before.spec.placement.targets ?? env.targets.map((n) => ({ name: n }));
  const from = new Set(move.from ?? current.map((t) => t.name));
  const kept = current.filter((t) => !from.has(t.name) && !move.to.includes(t.name));
  const targets = [...kept, ...move.to.map((n) => current.find((t) => t.name === n) ?? { name: n })];
  const after: Deployment = {
    ...before,
    spec: { ...before.spec, placement: { ...before.spec.placement, targets } },
  };
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
    store.addEvent({ time: clock.now(), deployment: name, type, reason, message });
  await event('Normal', 'MigrationStarted', `to ${move.to.join(', ')} from ${[...from].join(', ')}`);
  try {
    const res = await apply(after);
    await event('Normal', 'MigrationCompleted', `${name} runs on ${targets.map((t) => t.name).join(', ')}`);
    return res;
  } catch (e) {
    // the destination did not become ready: put everything back where it was
    await event('Warning', 'MigrationRolledBack', `${(e as Error).message.split('\n')[0]}; moving back`);
    await apply(before);
    throw e;
  }
}
