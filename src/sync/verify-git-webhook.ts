import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a webhook request was refused (never the secret or the expected signature). */
export type WebhookVerdict = { ok: true; via: 'github' | 'gitlab' } | { ok: false; reason: string };

/** Header lookup that ignores case, as HTTP does (Node lowercases; a plain object may not). */
function header(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== want || v === undefined) continue;
    return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/** Compares in time that does not depend on where the two differ (lengths hashed first). */
function sameSecretText(a: Buffer, b: Buffer): boolean {
  // HMAC both to a fixed length: timingSafeEqual needs equal lengths, and the length of the
  // expected value must not leak either
  const key = Buffer.from('skyfleet-webhook-compare');
  const ha = createHmac('sha256', key).update(a).digest();
  const hb = createHmac('sha256', key).update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/**
 * Verifies a git host's webhook with the source's shared secret: GitHub's
 * `X-Hub-Signature-256: sha256=HEX` (HMAC-SHA256 of the raw body) or GitLab's `X-Gitlab-Token`
 * (the secret itself). Comparisons are constant-time. Pure: no clock, no I/O.
 */
export function verifyGitWebhook(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  rawBody: Buffer | string,
): WebhookVerdict {
  if (!secret) return { ok: false, reason: 'the source has no webhook secret: webhooks are refused' };
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const signature = header(headers, 'x-hub-signature-256');
  if (signature !== undefined) {
    const m = /^sha256=([0-9a-fA-F]{64})$/.exec(signature.trim());
    if (!m) return { ok: false, reason: 'X-Hub-Signature-256 is not of the form sha256=<64 hex digits>' };
    const expected = createHmac('sha256', secret).update(body).digest();
    return sameSecretText(Buffer.from(m[1]!.toLowerCase(), 'hex'), expected)
      ? { ok: true, via: 'github' }
      : { ok: false, reason: 'X-Hub-Signature-256 does not match the body signed with the source secret' };
  }
  const token = header(headers, 'x-gitlab-token');
  if (token !== undefined)
    return sameSecretText(Buffer.from(token, 'utf8'), Buffer.from(secret, 'utf8'))
      ? { ok: true, via: 'gitlab' }
      : { ok: false, reason: 'X-Gitlab-Token does not match the source secret' };
  return { ok: false, reason: 'no X-Hub-Signature-256 (GitHub) or X-Gitlab-Token (GitLab) header' };
}
