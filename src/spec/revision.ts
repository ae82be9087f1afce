import { createHash } from 'node:crypto';
import type { PodTemplate } from './deployment.js';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/** A stable JSON text of a value: keys sorted, undefined dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value));
}

/**
 * The revision of a template: the first 10 hex digits of the SHA-256 of its canonical JSON
 * (like Kubernetes' pod-template-hash). Secret references are hashed, never secret values; a
 * template with references is given `secretsDigest` (a keyed hash of the values they resolve to,
 * `secretsDigest()` in src/reconcile), so a rotated value is a new revision that reaches every
 * platform. Without references the revision is the template's alone.
 */
export function revisionOf(template: PodTemplate, secretsDigest?: string): string {
  const h = createHash('sha256').update(canonicalJson(template));
  if (secretsDigest !== undefined) h.update(`\nsecrets:${secretsDigest}`);
  return h.digest('hex').slice(0, 10);
}

/** Whether any container of the template reads an environment variable from a secret. */
export function hasSecretRefs(template: PodTemplate): boolean {
  return template.containers.some((c) => c.env.some((e) => e.valueFrom?.secretKeyRef !== undefined));
}
