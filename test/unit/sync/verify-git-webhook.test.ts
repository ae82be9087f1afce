import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyGitWebhook } from '../../../src/sync/verify-git-webhook.js';

const SECRET = 's3cret-value';
const BODY = '{"ref":"refs/heads/main","after":"0123abcd"}';
const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('verifyGitWebhook', () => {
  it('GitHub: the body signed with the source secret is accepted (header name in any case)', () => {
    expect(verifyGitWebhook(SECRET, { 'x-hub-signature-256': sign(SECRET, BODY) }, BODY)).toEqual({
      ok: true,
      via: 'github',
    });
    expect(verifyGitWebhook(SECRET, { 'X-Hub-Signature-256': sign(SECRET, BODY) }, Buffer.from(BODY))).toEqual({
      ok: true,
      via: 'github',
    });
  });

  it('GitHub: a bad signature is refused, and the reason carries neither secret nor expected signature', () => {
    const cases = [
      sign('other-secret', BODY),
      sign(SECRET, `${BODY} `),
      'sha256=00',
      'sha1=abc',
      sign(SECRET, BODY).toUpperCase(),
    ];
    for (const sig of cases) {
      const v = verifyGitWebhook(SECRET, { 'x-hub-signature-256': sig }, BODY);
      expect(v.ok, sig).toBe(false);
      expect(JSON.stringify(v)).not.toContain(SECRET);
      expect(JSON.stringify(v)).not.toContain(sign(SECRET, BODY).slice(7));
    }
  });

  it('GitLab: the token equal to the secret is accepted, any other refused', () => {
    expect(verifyGitWebhook(SECRET, { 'x-gitlab-token': SECRET }, BODY)).toEqual({ ok: true, via: 'gitlab' });
    for (const t of ['', 's3cret-valu', `${SECRET}x`, 'S3CRET-VALUE'])
      expect(verifyGitWebhook(SECRET, { 'x-gitlab-token': t }, BODY).ok, t).toBe(false);
  });

  it('no signature header, or no secret on the source: refused', () => {
    expect(verifyGitWebhook(SECRET, {}, BODY)).toEqual({
      ok: false,
      reason: 'no X-Hub-Signature-256 (GitHub) or X-Gitlab-Token (GitLab) header',
    });
    expect(verifyGitWebhook('', { 'x-gitlab-token': '' }, BODY).ok).toBe(false);
  });

  it('accepts exactly the bodies signed with the secret (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string(), (secret, body, other) => {
        expect(verifyGitWebhook(secret, { 'x-hub-signature-256': sign(secret, body) }, body).ok).toBe(true);
        if (other !== body)
          expect(verifyGitWebhook(secret, { 'x-hub-signature-256': sign(secret, body) }, other).ok).toBe(false);
      }),
    );
  });
});
