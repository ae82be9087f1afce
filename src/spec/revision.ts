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
 * (like Kubernetes' pod-template-hash). Secret references are hashed, never secret values.
 */
export function revisionOf(template: PodTemplate): string {
  return createHash('sha256').update(canonicalJson(template)).digest('hex').slice(0, 10);
}
