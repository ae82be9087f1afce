import { createHmac } from 'node:crypto';
import type { DeploymentSpec } from '../spec/deployment.js';
import { canonicalJson, hasSecretRefs, revisionOf } from '../spec/revision.js';
import type { ReconcileContext } from './context.js';
import { deploymentProviders, deploymentSecrets, secretRefsOf } from './secrets.js';

/**
 * A keyed hash of resolved secret values (HMAC-SHA256 with the store's key, hex): it changes when
 * a value changes, and without the key it says nothing about the values (a plain hash of a short
 * password could be guessed from the revision id, which is shown everywhere). With `versions` (the
 * version ids of references a platform reads itself, by target and reference), it changes when a
 * cloud's own secret store rotates one too.
 */
export function secretsDigest(
  key: Buffer,
  values: Readonly<Record<string, string>>,
  versions: Readonly<Record<string, string>> = {},
): string {
  const input = Object.keys(versions).length ? { values, versions } : values;
  return createHmac('sha256', key).update(canonicalJson(input)).digest('hex');
}

/**
 * The version ids, now, of the secret references a deployment's targets read themselves
 * (`Provider.secretVersions`), keyed `<target> <name>/<key>`; a reference that pins its version
 * has none.
 */
export async function nativeSecretVersions(
  ctx: Pick<ReconcileContext, 'providers'>,
  deployment: string,
  spec: Pick<DeploymentSpec, 'placement' | 'template'>,
): Promise<Record<string, string>> {
  const refs = secretRefsOf(spec.template);
  const out: Record<string, string> = {};
  for (const p of deploymentProviders(ctx.providers, spec)) {
    if (!p.secretVersions) continue;
    const versions = await p.secretVersions(deployment, refs, { reason: 'secret versions' });
    refs.forEach((r, i) => {
      const v = versions[i];
      if (v !== undefined) out[`${p.target} ${r.name}/${r.key}`] = v;
    });
  }
  return out;
}

/**
 * The revision a template is recorded as: `revisionOf(template)`, with the digest of the secret
 * values it resolves to now (resolved here unless given) and the versions its targets' own secret
 * stores hold now, when it references secrets.
 */
export async function desiredRevision(
  ctx: Pick<ReconcileContext, 'store' | 'secrets' | 'providers'>,
  deployment: { metadata: { name: string }; spec: Pick<DeploymentSpec, 'placement' | 'template'> },
  resolved?: Readonly<Record<string, string>>,
): Promise<string> {
  const { spec } = deployment;
  if (!hasSecretRefs(spec.template)) return revisionOf(spec.template);
  const values = resolved ?? (await deploymentSecrets(ctx, spec));
  const versions = await nativeSecretVersions(ctx, deployment.metadata.name, spec);
  return revisionOf(spec.template, secretsDigest(await ctx.store.secretKey(), values, versions));
}
