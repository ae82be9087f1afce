import { type Plain, type Scope, isPlain, show } from '../scope.js';
import type { DeploymentDoc } from '../skyfleet-types.js';
import type { ReadRelative } from './environment.js';
import { type ComposeServiceResult, convertService } from './service.js';

export type { ReadRelative } from './environment.js';

/** Whether a parsed document is a Compose file (top-level `services` and no Kubernetes `kind`). */
export function isComposeFile(value: Plain): boolean {
  return value.kind === undefined && value.apiVersion === undefined && isPlain(value.services);
}

const TOP_REASONS: Record<string, string> = {
  volumes: 'skyfleet mounts no volumes: keep state in a managed service',
  networks: "skyfleet replicas run on their provider's network and reach each other through a deployment's listener",
  configs: 'skyfleet mounts no config files: pass the values as environment variables',
  name: 'skyfleet has no projects: the fleet is the scope of its deployments',
  include: 'skyfleet does not merge Compose files: convert each one',
  models: 'skyfleet runs containers: models are not supported',
};

/**
 * A Compose file (the Compose Specification; version 2 and 3 files alike) as skyfleet Deployments,
 * one per service with an image, in depends_on order.
 */
export function convertCompose(scope: Scope, file: Plain, read: ReadRelative | undefined): DeploymentDoc[] {
  unescapeAndWarnInterpolation(scope, file, []);
  const services = file.services as Plain;
  const results = new Map<string, ComposeServiceResult>();
  const scopes = new Map<string, Scope>();
  for (const [key, svc] of Object.entries(services)) {
    const s = scope.at('services', key);
    scopes.set(key, s);
    if (!isPlain(svc)) {
      s.warn(`expected a service object, got ${show(svc)}: not converted`);
      continue;
    }
    const r = convertService(s, key, svc, read);
    if (r) results.set(key, r);
  }
  for (const [key, value] of Object.entries(file)) {
    if (key === 'services') continue;
    if (key === 'version') {
      scope.note(`version ${show(value)} is informational in the Compose Specification: the file is read as Compose`);
      continue;
    }
    if (key === 'secrets' && isPlain(value)) {
      for (const [name, def] of Object.entries(value)) {
        const source = isPlain(def)
          ? (def.file ?? def.environment ?? (def.external ? 'an external secret' : undefined))
          : undefined;
        const norm = name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
        scope.warn(
          `skyfleet reads secret ${name} at apply from SKYFLEET_SECRET_${norm}_VALUE (or the fleet's secret resolver), not ${source ? show(source) : 'a file'}: set it there`,
          'secrets',
          name,
        );
      }
      continue;
    }
    if (key.startsWith('x-')) {
      scope.warn(
        'an extension field: skyfleet reads none (anchors defined in it are already expanded where used)',
        key,
      );
      continue;
    }
    if ((key === 'volumes' || key === 'networks' || key === 'configs') && isPlain(value)) {
      for (const name of Object.keys(value)) scope.warn(TOP_REASONS[key]!, key, name);
      continue;
    }
    scope.warn(TOP_REASONS[key] ?? 'not a field of a Compose file that skyfleet converts', key);
  }
  return ordered(results, scopes);
}

/** Deployments so that each comes after those it depends on (apply goes in file order). */
function ordered(results: Map<string, ComposeServiceResult>, scopes: Map<string, Scope>): DeploymentDoc[] {
  const out: DeploymentDoc[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string) => {
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') return; // a cycle: Compose refuses it; keep the file's order
    state.set(key, 'visiting');
    const r = results.get(key)!;
    const s = scopes.get(key)!;
    r.dependsOn.forEach(({ name: dep, at }) => {
      if (!results.has(dep)) {
        s.warn(
          `${dep} is not converted (see its warnings): ${r.doc.metadata.name} no longer waits for it`,
          'depends_on',
          at,
        );
        return;
      }
      visit(dep);
      s.note(
        `deployment ${r.doc.metadata.name} comes after ${results.get(dep)!.doc.metadata.name} (depends_on): apply applies in order and waits until each is ready (unless --no-wait)`,
      );
    });
    state.set(key, 'done');
    out.push(r.doc);
  };
  for (const key of results.keys()) visit(key);
  return out;
}

/**
 * Compose substitutes ${VAR} and $VAR from the shell or .env when it runs; skyfleet takes values as
 * written: each such value is a warning. `$$` (a literal `$` in Compose) becomes `$`.
 */
function unescapeAndWarnInterpolation(scope: Scope, value: unknown, path: Array<string | number>): unknown {
  if (typeof value === 'string') {
    const bare = value.replace(/\$\$/g, '');
    if (/\$(\{[^}]*\}|[A-Za-z_])/.test(bare))
      scope.warn(
        `${show(value)} uses Compose variable substitution, which skyfleet does not do: the value is kept as written; write the value out`,
        ...path,
      );
    return value.replace(/\$\$/g, '$');
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      value[i] = unescapeAndWarnInterpolation(scope, v, [...path, i]);
    });
  } else if (isPlain(value)) {
    for (const [k, v] of Object.entries(value)) value[k] = unescapeAndWarnInterpolation(scope, v, [...path, k]);
  }
  return value;
}
