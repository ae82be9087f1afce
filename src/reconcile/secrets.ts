import { ValidationError } from '../errors/index.js';
import type { Provider, SecretReference } from '../provider/provider.js';
import type { DeploymentSpec, PodTemplate } from '../spec/deployment.js';
import { secretEnvName } from '../spec/secret-env-name.js';

/** A `valueFrom.secretKeyRef`: the provider contract's SecretReference. */
export type SecretRef = SecretReference;

/** Resolves a `valueFrom.secretKeyRef` to its value; undefined when unknown. */
export type SecretResolver = (ref: SecretRef) => string | undefined | Promise<string | undefined>;

export { secretEnvName };

export const envSecretResolver: SecretResolver = (ref) => process.env[secretEnvName(ref)];

/**
 * Resolves every secret reference of a template to `{ ENV_NAME: value }` for providers that need
 * values (Docker, ACI secureValue). Values never enter specs, the store, logs or errors.
 */
export async function resolveSecrets(template: PodTemplate, resolver: SecretResolver): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const missing: { path: string; message: string }[] = [];
  for (const [ci, c] of template.containers.entries()) {
    for (const [ei, e] of c.env.entries()) {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) continue;
      const value = await resolver(ref);
      if (value === undefined) {
        missing.push({
          path: `spec.template.containers[${ci}].env[${ei}].valueFrom.secretKeyRef`,
          message: `secret ${ref.name}/${ref.key} is not available: set the environment variable ${secretEnvName(ref)} or pass a secrets resolver to createFleet`,
        });
      } else if (value === '') {
        missing.push({
          path: `spec.template.containers[${ci}].env[${ei}].valueFrom.secretKeyRef`,
          message: `secret ${ref.name}/${ref.key} is empty: set the environment variable ${secretEnvName(ref)} to its value (or pass a secrets resolver to createFleet)`,
        });
      } else out[e.name] = value;
    }
  }
  if (missing.length) throw new ValidationError(missing);
  return out;
}

/** The providers a deployment may place replicas on: its placement's targets, else every target. */
export function deploymentProviders(
  providers: ReadonlyMap<string, Provider>,
  spec: Pick<DeploymentSpec, 'placement'>,
): Provider[] {
  const names = spec.placement.targets?.map((t) => t.name);
  return names ? names.flatMap((n) => providers.get(n) ?? []) : [...providers.values()];
}

/**
 * The secret values a deployment's replicas need from skyfleet: every reference resolved (as
 * `resolveSecrets`) when any target it may place on takes values, none when every one reads its
 * secrets itself (`Provider.secretVersions`: ECS, Cloud Run), so a cloud-only deployment needs no
 * copy of its secrets where skyfleet runs.
 */
export async function deploymentSecrets(
  ctx: { providers: ReadonlyMap<string, Provider>; secrets: SecretResolver },
  spec: Pick<DeploymentSpec, 'placement' | 'template'>,
): Promise<Record<string, string>> {
  const providers = deploymentProviders(ctx.providers, spec);
  if (providers.length > 0 && providers.every((p) => p.secretVersions)) return {};
  return resolveSecrets(spec.template, ctx.secrets);
}

/** The distinct secret references of a template, in order of first use. */
export function secretRefsOf(template: PodTemplate): SecretRef[] {
  const seen = new Map<string, SecretRef>();
  for (const c of template.containers)
    for (const e of c.env) {
      const r = e.valueFrom?.secretKeyRef;
      const id = r && `${r.name}\u0000${r.key}`;
      if (r && id && !seen.has(id)) seen.set(id, { name: r.name, key: r.key });
    }
  return [...seen.values()];
}
