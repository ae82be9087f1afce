import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrafficSource } from '../../src/server/endpoint.js';
import type { RevisionStats } from '../../src/traffic/types.js';
import { type Harness, harness, web } from './harness.js';

// GET /deployments/NAME/traffic: what the controller's listener measured per revision (the
// dashboard's requests/s, error rate and p99 charts), read from the TrafficManager it is given.

const stats = (revision: string, windowMs: number): RevisionStats => ({
  revision,
  windowMs,
  requests: 200,
  errors: 4,
  retriedAttempts: 0,
  successRate: 0.98,
  p50Ms: 3,
  p99Ms: 41,
  requestsPerSecond: 20,
  concurrency: 1,
});

const asked: Array<{ name: string; windowMs: number }> = [];
const source: TrafficSource = {
  has: (name) => name === 'web',
  allStats: (name, windowMs) => {
    asked.push({ name, windowMs });
    return [stats('rev-a', windowMs), stats('rev-b', windowMs)];
  },
};

let h: Harness;
let bare: Harness;
beforeAll(async () => {
  h = await harness({ traffic: source });
  bare = await harness();
  for (const x of [h, bare]) {
    await x.request('POST', '/api/v1/deployments', { body: web('img:1', 1) });
    await x.request('POST', '/api/v1/deployments', { body: web('img:1', 1, 'api') });
  }
});
afterAll(async () => {
  await h?.close();
  await bare?.close();
});

describe('GET /api/v1/deployments/NAME/traffic', () => {
  it("answers the listener's stats per revision over the window asked, to a viewer", async () => {
    const res = await h.request('GET', '/api/v1/deployments/web/traffic?windowMs=30000', { token: h.tokens.viewer });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { served: boolean; windowMs: number; items: RevisionStats[] };
    expect(body.served).toBe(true);
    expect(body.windowMs).toBe(30_000);
    expect(body.items.map((i) => [i.revision, i.requestsPerSecond, i.successRate, i.p99Ms])).toEqual([
      ['rev-a', 20, 0.98, 41],
      ['rev-b', 20, 0.98, 41],
    ]);
    expect(asked.at(-1)).toEqual({ name: 'web', windowMs: 30_000 });
  });

  it('served false and no items for a deployment without a listener, or a server without the controller', async () => {
    const other = (await (await h.request('GET', '/api/v1/deployments/api/traffic')).json()) as {
      served: boolean;
      items: unknown[];
      windowMs: number;
    };
    expect(other).toMatchObject({ served: false, items: [], windowMs: 10_000 });
    const none = (await (await bare.request('GET', '/api/v1/deployments/web/traffic')).json()) as { served: boolean };
    expect(none.served).toBe(false);
  });

  it('404 for an unknown deployment, 400 for a window out of range', async () => {
    expect((await h.request('GET', '/api/v1/deployments/nope/traffic')).status).toBe(404);
    expect((await h.request('GET', '/api/v1/deployments/web/traffic?windowMs=5')).status).toBe(400);
    expect((await h.request('GET', '/api/v1/deployments/web/traffic?windowMs=abc')).status).toBe(400);
  });
});
