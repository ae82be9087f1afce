/**
 * Identity tokens for services that keep Cloud Run's invoker check (`allowUnauthenticated: false`):
 * minted from Application Default Credentials through google-auth-library's `getIdTokenClient`
 * (here a service account key: a JWT assertion POSTed to Google's token endpoint, which answers an
 * `id_token`; https://cloud.google.com/run/docs/authenticating/service-to-service), or the
 * target's `identityToken` as is. The token's `exp` says when to renew it. A failure is a
 * classified ProviderError that names the fix and never carries a token.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { CloudRunProvider } from '../../../providers/gcp-cloud-run/index.js';
import { gcpCloudRunTargetSettings } from '../../../providers/gcp-cloud-run/settings.js';
import { ProviderError } from '../../../src/errors/index.js';

const AUDIENCE = 'https://web-abc123-uc.a.run.app';
const exp = Math.floor(Date.now() / 1000) + 3600;
const jwt = (payload: object) =>
  `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2lnbmF0dXJl`;

let dir: string;
const savedAdc = process.env.GOOGLE_APPLICATION_CREDENTIALS;
beforeAll(() => {
  nock.disableNetConnect();
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-idtoken-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(
    join(dir, 'sa.json'),
    JSON.stringify({
      type: 'service_account',
      project_id: 'p',
      private_key_id: 'k1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: 'lb@p.iam.gserviceaccount.com',
      client_id: '1',
      token_uri: 'https://oauth2.googleapis.com/token',
    }),
  );
  process.env.GOOGLE_APPLICATION_CREDENTIALS = join(dir, 'sa.json');
});
afterEach(() => nock.cleanAll());
afterAll(() => {
  if (savedAdc === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  else process.env.GOOGLE_APPLICATION_CREDENTIALS = savedAdc;
  rmSync(dir, { recursive: true, force: true });
  nock.enableNetConnect();
});

const provider = (over: Record<string, unknown> = {}) =>
  new CloudRunProvider(
    gcpCloudRunTargetSettings.parse({
      name: 'gcr',
      kind: 'gcp-cloud-run',
      project: 'my-project-123',
      region: 'us-central1',
      allowUnauthenticated: false,
      ...over,
    }),
    { fleet: 'f' },
  );

it("from the target's credentials: a service account's JWT assertion for the service URL, exchanged for an ID token", async () => {
  const token = jwt({ aud: AUDIENCE, exp, email: 'lb@p.iam.gserviceaccount.com' });
  let assertion: Record<string, unknown> | undefined;
  nock('https://oauth2.googleapis.com')
    .post('/token', (body: Record<string, string>) => {
      assertion = JSON.parse(Buffer.from(body.assertion!.split('.')[1]!, 'base64url').toString('utf8'));
      return body.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer';
    })
    .reply(200, { id_token: token });
  const got = await provider().identityToken(AUDIENCE);
  expect(got).toEqual({ token, expiresAt: exp * 1000 });
  // the service account asked for a token whose audience is the service
  expect(assertion).toMatchObject({ iss: 'lb@p.iam.gserviceaccount.com', target_audience: AUDIENCE });
});

it('a token endpoint that fails: a retryable ProviderError naming the fix, without the token', async () => {
  nock('https://oauth2.googleapis.com').post('/token').reply(503, { error: 'backendError' });
  const err = await provider()
    .identityToken(AUDIENCE)
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  expect(err).toMatchObject({ retryable: true, providerCode: 'IdentityTokenUnavailable' });
  expect((err as Error).message).toMatch(/roles\/run\.invoker, or identityToken/);
});

it('identityToken given: used as is, without a call; its exp says when it expires', async () => {
  const token = jwt({ exp });
  expect(await provider({ identityToken: token }).identityToken(AUDIENCE)).toEqual({ token, expiresAt: exp * 1000 });
  expect(nock.pendingMocks()).toEqual([]);
});
