import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { StrategyDoc } from '../skyfleet-types.js';

/** `spec.strategy`: RollingUpdate (maxSurge, maxUnavailable) or Recreate, as Kubernetes. */
export function convertStrategy(scope: Scope, raw: unknown): StrategyDoc | undefined {
  if (!isPlain(raw)) {
    scope.warn(`expected { type, rollingUpdate }, got ${show(raw)}: the default rolling update is used`);
    return undefined;
  }
  warnUnhandled(scope, raw, ['type', 'rollingUpdate'], {}, 'not a field of a strategy');
  if (raw.type === 'Recreate') {
    if (raw.rollingUpdate !== undefined) scope.warn('a Recreate strategy has no rollingUpdate', 'rollingUpdate');
    return { type: 'Recreate' };
  }
  if (raw.type !== undefined && raw.type !== 'RollingUpdate') {
    scope.warn(
      `skyfleet strategies are RollingUpdate, Recreate, BlueGreen and Canary, not ${show(raw.type)}: RollingUpdate is used`,
      'type',
    );
  }
  const ru: Plain = {};
  if (isPlain(raw.rollingUpdate)) {
    for (const k of ['maxSurge', 'maxUnavailable'] as const)
      if (raw.rollingUpdate[k] !== undefined) ru[k] = raw.rollingUpdate[k];
    warnUnhandled(
      scope.at('rollingUpdate'),
      raw.rollingUpdate,
      ['maxSurge', 'maxUnavailable'],
      {},
      'not a field of rollingUpdate',
    );
  }
  return { type: 'RollingUpdate', ...(Object.keys(ru).length ? { rollingUpdate: ru } : {}) } as StrategyDoc;
}
