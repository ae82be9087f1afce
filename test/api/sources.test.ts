import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { specYaml, type TestRepo, testRepo } from '../helpers/git-repo.js';
import { type Harness, harness } from './harness.js';

// Git sources through the API: the webhook is authenticated by the source's HMAC signature
// alone; a refused one changes nothing (not even a head check); a good one syncs at once.

const SECRET = 'api-webhook-secret-never-shown-0123456789';
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

let h: Harness | undefined;
let repo: TestRepo | undefined;
afterEach(async () => {
  await h?.close();
  repo?.remove();
  h = undefined;
  repo = undefined;
});

async function setup() {
  h = await harness();
  repo = testRepo();
  const res = await h.request('POST', '/api/v1/sources', {
    body: { name: 'app', repo: repo.dir, path: 'deploy', webhookSecret: SECRET },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  expect(await res.text()).not.toContain(SECRET);
  return { h, repo };
}

const push = (h: Harness, body: string, headers: Record<string, string>, name = 'app') =>
  h.request('POST', `/api/v1/sources/${name}/webhook`, { token: null, body, headers });

describe('git sources over the API', () => {
  it('a webhook with a bad, missing or foreign signature is refused (401) and nothing happens', async () => {
    const { h, repo } = await setup();
    repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const refused = [
      await push(h, body, {}),
      await push(h, body, { 'x-hub-signature-256': sign(body, 'another-secret-of-enough-length') }),
      await push(h, body, { 'x-hub-signature-256': sign(`${body} `) }),
      await push(h, body, { 'x-gitlab-token': 'not-the-secret' }),
      await push(h, body, { 'x-hub-signature-256': sign(body) }, 'nosuchsource'),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    for (const r of refused) expect(await r.text()).not.toContain(SECRET);
    // a deployer's token is no signature either
    const withToken = await h.request('POST', '/api/v1/sources/app/webhook', { token: h.tokens.admin, body });
    expect(withToken.status).toBe(401);
    expect(await h.store.getGitSource('app')).toMatchObject({ lastCheckAt: null, lastSeenCommit: null });
    expect(await h.store.listDeployments()).toEqual([]);
    const audit = await h.store.listAudit();
    expect(audit.filter((a) => a.what === 'POST /api/v1/sources/app/webhook').map((a) => [a.who, a.status])).toEqual([
      ['-', 401],
      ['-', 401],
      ['-', 401],
      ['-', 401],
      ['-', 401],
    ]);
  });

  it('a signed webhook (GitHub or GitLab style) syncs at once and is audited as the source', async () => {
    const { h, repo } = await setup();
    const c1 = repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    const body = JSON.stringify({ ref: 'refs/heads/main', after: c1 });
    const res = await push(h, body, { 'x-hub-signature-256': sign(body) });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, source: 'app' });
    await eventually(
      async () => (await h.fleet.get('web'))?.spec.metadata.annotations?.['skyfleet.dev/git-commit'] === c1,
      {
        message: 'web applied from the pushed commit',
      },
    );
    const c2 = repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:2') }, 'bump');
    expect((await push(h, '{}', { 'x-gitlab-token': SECRET })).status).toBe(202);
    await eventually(async () => (await h.store.getGitSource('app'))?.lastSyncedCommit === c2, {
      message: 'the second commit synced',
    });
    expect((await h.fleet.get('web'))?.spec.spec.template.containers[0]?.image).toBe('nginx:2');
    const audit = await h.store.listAudit();
    expect(audit.filter((a) => a.what === 'POST /api/v1/sources/app/webhook').map((a) => [a.who, a.status])).toEqual([
      ['webhook:app', 202],
      ['webhook:app', 202],
    ]);
  });

  it('sync, status with drift, list and delete; the secret is in no answer', async () => {
    const { h, repo } = await setup();
    const c1 = repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    const synced = await h.request('POST', '/api/v1/sources/app/sync', { token: h.tokens.deployer });
    expect(synced.status).toBe(200);
    expect(await synced.json()).toMatchObject({
      outcome: 'synced',
      commit: c1,
      applied: [{ name: 'web', action: 'create' }],
    });
    await h.fleet.scale('web', 3, { wait: false });
    const status = await h.request('GET', '/api/v1/sources/app/status', { token: h.tokens.viewer });
    expect(await status.json()).toMatchObject({
      source: { name: 'app', lastSyncedCommit: c1, hasWebhookSecret: true },
      drift: [{ name: 'web', kind: 'changed', fields: [{ path: 'spec.replicas', git: 2, store: 3 }] }],
      orphaned: [],
    });
    const answers = await Promise.all(
      ['/api/v1/sources', '/api/v1/sources/app', '/api/v1/sources/app/status'].map(async (p) =>
        (await h.request('GET', p, { token: h.tokens.viewer })).text(),
      ),
    );
    for (const a of answers) expect(a).not.toContain(SECRET);
    const audit = await h.store.listAudit();
    expect(audit.find((a) => a.what === 'POST /api/v1/sources/app/sync')).toMatchObject({
      who: expect.stringContaining('deployer-token'),
      status: 200,
      revision: expect.any(String),
    });
    const del = await h.request('DELETE', '/api/v1/sources/app', { token: h.tokens.admin });
    expect(del.status).toBe(200);
    expect((await h.request('GET', '/api/v1/sources/app')).status).toBe(404);
    // the deployments it applied keep running
    expect(await h.fleet.get('web')).toBeDefined();
  });

  it('a changed secret reference reads (redacted) in a sync report, as in returned specs', async () => {
    const { h, repo } = await setup();
    process.env.SKYFLEET_SECRET_DB2_PASSWORD = 'another-secret-value';
    const withRef = (secret: string) =>
      `apiVersion: skyfleet.dev/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  replicas: 1\n  template: { containers: [{ name: web, image: nginx:1, env: [{ name: DB, valueFrom: { secretKeyRef: { name: ${secret}, key: password } } }] }] }\n`;
    repo.commit({ 'deploy/web.yaml': withRef('db') }, 'web');
    expect((await h.request('POST', '/api/v1/sources/app/sync')).status).toBe(200);
    repo.commit({ 'deploy/web.yaml': withRef('db2') }, 'other secret');
    const res = await h.request('POST', '/api/v1/sources/app/sync');
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({
      outcome: 'synced',
      applied: [
        {
          name: 'web',
          fields: [
            {
              path: 'spec.template.containers[0].env[0].valueFrom.secretKeyRef.name',
              git: '(redacted)',
              store: '(redacted)',
            },
          ],
        },
      ],
    });
    expect(text).not.toContain('db2');
  });

  it('bad settings are 400 naming the field, and nothing is registered', async () => {
    h = await harness();
    const res = await h.request('POST', '/api/v1/sources', {
      body: { name: 'app', repo: '/x', interval: 'sometimes', webhookSecret: 'short' },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { fields: Array<{ path: string }> } };
    expect(body.error.fields.map((f) => f.path)).toEqual(['interval', 'webhookSecret']);
    expect(JSON.stringify(body)).not.toContain('short"');
    expect(await h.store.listGitSources()).toEqual([]);
  });
});
