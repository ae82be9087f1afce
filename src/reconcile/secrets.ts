import { ValidationError } from '../errors/index.js';
import type { PodTemplate } from '../spec/deployment.js';
import { secretEnvName } from '../spec/secret-env-name.js';

export interface SecretRef {
  name: string;
  key: string;
}

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
