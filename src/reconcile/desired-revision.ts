import { createHmac } from 'node:crypto';
import type { PodTemplate } from '../spec/deployment.js';
import { canonicalJson, hasSecretRefs, revisionOf } from '../spec/revision.js';
import type { ReconcileContext } from './context.js';
import { resolveSecrets } from './secrets.js';

/**
 * A keyed hash of resolved secret values (HMAC-SHA256 with the store's key, hex): it changes when
 * a value changes, and without the key it says nothing about the values (a plain hash of a short
 * password could be guessed from the revision id, which is shown everywhere).
 */
export function secretsDigest(key: Buffer, values: Readonly<Record<string, string>>): string {
  return createHmac('sha256', key).update(canonicalJson(values)).digest('hex');
}

/**
 * The revision a template is recorded as: `revisionOf(template)`, with the digest of the secret
 * values it resolves to now when it references secrets (resolved here unless given).
 */
export async function desiredRevision(
  ctx: Pick<ReconcileContext, 'store' | 'secrets'>,
  template: PodTemplate,
  resolved?: Readonly<Record<string, string>>,
): Promise<string> {
  if (!hasSecretRefs(template)) return revisionOf(template);
  const values = resolved ?? (await resolveSecrets(template, ctx.secrets));
  return revisionOf(template, secretsDigest(await ctx.store.secretKey(), values));
}
