import { type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { EnvVarDoc } from '../skyfleet-types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A container's `env`: values and `valueFrom.secretKeyRef`; other sources are named in warnings. */
export function convertEnv(scope: Scope, raw: unknown): EnvVarDoc[] {
  if (!Array.isArray(raw)) {
    scope.warn(`expected a list of variables, got ${show(raw)}: no variables`);
    return [];
  }
  const out: EnvVarDoc[] = [];
  raw.forEach((e, i) => {
    const s = scope.at(i);
    if (!isPlain(e) || typeof e.name !== 'string') {
      s.warn('expected { name, value } or { name, valueFrom }: left out');
      return;
    }
    if (!ENV_NAME.test(e.name)) {
      s.warn(
        `skyfleet takes variable names of letters, digits and "_" (not starting with a digit), and ${show(e.name)} is not one: left out; rename it`,
        'name',
      );
      return;
    }
    warnUnhandled(s, e, ['name', 'value', 'valueFrom'], {}, 'not a field of an environment variable');
    if (e.valueFrom === undefined) {
      out.push({ name: e.name, value: e.value === undefined || e.value === null ? '' : String(e.value) });
      return;
    }
    const from = e.valueFrom;
    const ref = isPlain(from) ? from.secretKeyRef : undefined;
    if (isPlain(from) && isPlain(ref) && typeof ref.name === 'string' && typeof ref.key === 'string') {
      out.push({ name: e.name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });
      warnUnhandled(
        s.at('valueFrom', 'secretKeyRef'),
        ref,
        ['name', 'key'],
        {
          optional:
            'skyfleet has no optional secrets: the replica does not start until the secret exists (as Kubernetes does without optional)',
        },
        'not a field of a secretKeyRef',
      );
      warnUnhandled(s.at('valueFrom'), from, ['secretKeyRef'], {}, 'not a source skyfleet reads');
      return;
    }
    const kind = isPlain(from) ? Object.keys(from)[0] : undefined;
    const why: Record<string, string> = {
      configMapKeyRef:
        'skyfleet has no ConfigMaps: set the value inline (value:) or keep it in a secret (secretKeyRef)',
      fieldRef: 'skyfleet has no pod fields to read: set the value inline',
      resourceFieldRef: 'skyfleet does not expose container resources as variables: set the value inline',
    };
    s.warn(
      `${kind ? `valueFrom.${kind}: ` : ''}${(kind && why[kind]) || 'skyfleet reads variables from value or valueFrom.secretKeyRef only'}; the variable is left out`,
      'valueFrom',
      ...(kind ? [kind] : []),
    );
  });
  return out;
}
