import type { Deployment, PodTemplate } from '../spec/deployment.js';

/** What a redacted secret reference reads as. */
export const REDACTED = '(redacted)';

/** A template with every `valueFrom.secretKeyRef` replaced by a redacted one (values never are in specs). */
export function redactTemplate(t: PodTemplate): PodTemplate {
  return {
    ...t,
    containers: t.containers.map((c) => ({
      ...c,
      env: (c.env ?? []).map((e) =>
        e.valueFrom ? { ...e, valueFrom: { secretKeyRef: { name: REDACTED, key: REDACTED } } } : e,
      ),
    })),
  };
}

export function redactDeployment(d: Deployment): Deployment {
  return { ...d, spec: { ...d.spec, template: redactTemplate(d.spec.template) } };
}

/** Redacts the deployment spec or template inside any record the API returns. */
export function redactRecord<T>(value: T): T {
  if (!value || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if (v.kind === 'Deployment' && v.spec) return redactDeployment(value as unknown as Deployment) as T;
  const out: Record<string, unknown> = { ...v };
  if (v.spec && typeof v.spec === 'object' && (v.spec as Record<string, unknown>).kind === 'Deployment') {
    out.spec = redactDeployment(v.spec as Deployment);
  }
  if (v.template && typeof v.template === 'object' && Array.isArray((v.template as PodTemplate).containers)) {
    out.template = redactTemplate(v.template as PodTemplate);
  }
  return out as T;
}

/** Drifted or changed fields as the API shows them: a secret reference's parts read `(redacted)` too. */
export function redactFields<T extends { path: string; git: unknown; store: unknown }>(fields: readonly T[]): T[] {
  return fields.map((f) =>
    /\.valueFrom\b/.test(f.path)
      ? { ...f, git: f.git === undefined ? undefined : REDACTED, store: f.store === undefined ? undefined : REDACTED }
      : f,
  );
}
