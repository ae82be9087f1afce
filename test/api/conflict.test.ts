import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness, web } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(() => h.close());

const D = '/api/v1/deployments';

describe('two writers on one deployment', () => {
  it('exactly one of two racing compare-and-set writes wins', async () => {
    expect((await h.request('PUT', `${D}/web`, { body: web('img:1') })).status).toBe(200);
    const read = await h.request('GET', `${D}/web`);
    const rv = ((await read.json()) as { resourceVersion: number }).resourceVersion;
    const results = await Promise.all([
      h.request('PUT', `${D}/web?wait=false`, { body: web('race:a'), headers: { 'if-match': `"${rv}"` } }),
      h.request('PUT', `${D}/web?wait=false&resourceVersion=${rv}`, { body: web('race:b') }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    const loser = results.find((r) => r.status === 409)!;
    const winner = results.find((r) => r.status === 200)!;
    const err = ((await loser.json()) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('conflict');
    expect(err.message).toMatch(/changed by another writer/);
    // the winner's write is what is stored; its resourceVersion moved on
    const won = (await winner.json()) as { revision: string; resourceVersion: number };
    const now = (await (await h.request('GET', `${D}/web`)).json()) as {
      revision: string;
      resourceVersion: number;
      spec: { spec: { template: { containers: Array<{ image: string }> } } };
    };
    expect(now.revision).toBe(won.revision);
    expect(now.resourceVersion).toBe(won.resourceVersion);
    expect(now.resourceVersion).toBeGreaterThan(rv);
    // the loser retries on what it reads now and wins: nothing is lost
    const retry = await h.request('PUT', `${D}/web?wait=false`, {
      body: web(now.spec.spec.template.containers[0]!.image === 'race:a' ? 'race:b' : 'race:a'),
      headers: { 'if-match': `"${now.resourceVersion}"` },
    });
    expect(retry.status).toBe(200);
    const history = (await (await h.request('GET', `${D}/web/history`)).json()) as { items: unknown[] };
    expect(history.items.length).toBeGreaterThanOrEqual(3);
    // and a stale version is refused without writing
    const stale = await h.request('PUT', `${D}/web?wait=false`, {
      body: web('stale'),
      headers: { 'if-match': `"${rv}"` },
    });
    expect(stale.status).toBe(409);
    expect(((await (await h.request('GET', `${D}/web`)).json()) as { revision: string }).revision).not.toBe(undefined);
  });

  it('an apply without a version is a plain upsert', async () => {
    const res = await h.request('PUT', `${D}/web?wait=false`, { body: web('plain') });
    expect(res.status).toBe(200);
  });

  it('a create with resourceVersion 0 fails when the deployment exists', async () => {
    const res = await h.request('PUT', `${D}/web?wait=false&resourceVersion=0`, { body: web('again') });
    expect(res.status).toBe(409);
    const fresh = await h.request('PUT', `${D}/other?wait=false&resourceVersion=0`, { body: web('x', 1, 'other') });
    expect(fresh.status).toBe(200);
  });
});
