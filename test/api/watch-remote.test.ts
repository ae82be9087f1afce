import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SkyfleetError } from '../../src/errors/index.js';
import { createFleet } from '../../src/fleet.js';
import { connectFleet, type RemoteFleet, type WatchEvent } from '../../src/remote/index.js';
import { listen, type Listening } from '../../src/server/index.js';
import { eventually } from '../helpers/eventually.js';
import { type Harness, harness, web } from './harness.js';

let h: Harness;
let server: Listening;
let remote: RemoteFleet;
beforeAll(async () => {
  h = await harness({ feedPollMs: 10 });
  server = await listen(h.api, { host: '127.0.0.1', port: 0 });
  remote = await connectFleet({ server: server.url, token: h.tokens.deployer });
});
afterAll(async () => {
  await remote?.close();
  await server?.close();
  await h?.close();
});

describe('the remote fleet', () => {
  it('applies, reads, scales and deletes through the API with the same results as a local fleet', async () => {
    expect(remote.name).toBe('api');
    const res = await remote.apply(web('img:1', 2));
    expect(res.progress.ready).toBe(2);
    expect((await remote.get('web'))?.generation).toBe(1);
    expect((await remote.scale('web', 3)).progress.ready).toBe(3);
    expect((await remote.status('web')).ready).toBe(3);
    expect(await remote.get('nope')).toBeUndefined();
    const e = await remote.scale('nope', 1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SkyfleetError);
    expect((e as SkyfleetError).code).toBe('not_found');
    const local = await h.fleet.scale('nope', 1).catch((x: unknown) => x);
    expect((e as Error).message).toBe((local as Error).message);
    expect((await remote.delete('web')).deployment).toBe('web');
    expect(await remote.list()).toEqual([]);
  });

  it('createFleet({ server, token }) is the same remote fleet', async () => {
    const f = createFleet({ server: server.url, token: h.tokens.viewer });
    expect(await f.list()).toEqual([]);
    await f.close();
  });

  it('a viewer token may read but not write', async () => {
    const viewer = await connectFleet({ server: server.url, token: h.tokens.viewer });
    try {
      expect(await viewer.list()).toEqual([]);
      const e = (await viewer.apply(web()).catch((x: unknown) => x)) as SkyfleetError;
      expect(e.code).toBe('forbidden');
    } finally {
      await viewer.close();
    }
  });

  it('wrong and revoked tokens are refused', async () => {
    const wrong = await connectFleet({ server: server.url, token: 'sft_wrong' }).catch((x: unknown) => x);
    expect((wrong as SkyfleetError).code).toBe('unauthorized');
    const { token } = (await (
      await h.request('POST', '/api/v1/tokens', { body: { role: 'viewer', name: 'short' } })
    ).json()) as { token: string };
    const ok = await connectFleet({ server: server.url, token });
    expect(await ok.list()).toEqual([]);
    await h.request('DELETE', '/api/v1/tokens/short');
    const e = (await ok.list().catch((x: unknown) => x)) as SkyfleetError;
    expect(e.code).toBe('unauthorized');
    expect(e.message).toMatch(/revoked/);
    await ok.close();
  });
});

describe('watch', () => {
  it('a client disconnected mid-rollout resumes from its last version without missing a change', async () => {
    const { resourceVersion } = await remote.listWithVersion();
    const seen: WatchEvent[] = [];
    const first = new AbortController();
    let opened = 0;
    const w1 = remote.watch('deployments', {
      from: resourceVersion,
      signal: first.signal,
      onOpen: () => opened++,
      onEvent: (e) => seen.push(e),
    });
    await eventually(() => opened === 1);
    await remote.apply(web('w:1', 2));
    await eventually(() => seen.length >= 1);
    // the client goes away; the rollout goes on
    first.abort();
    await w1;
    const lastSeen = seen[seen.length - 1]!.resourceVersion;
    await remote.apply(web('w:2', 2));
    await remote.scale('web', 3);
    await remote.apply(web('w:3', 3));
    // back, from the last version it saw
    const second = new AbortController();
    const w2 = remote.watch('deployments', { from: lastSeen, signal: second.signal, onEvent: (e) => seen.push(e) });
    await eventually(() => seen.length >= 4, { timeoutMs: 5000 });
    second.abort();
    await w2;
    const images = seen.map(
      (e) =>
        (e.object as { spec: { spec: { template: { containers: Array<{ image: string }> } } } }).spec.spec.template
          .containers[0]!.image,
    );
    expect(images).toEqual(['w:1', 'w:2', 'w:2', 'w:3']);
    const versions = seen.map((e) => e.resourceVersion);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    // every change the store fed after the first watch began, none missed
    const fed = (await h.store.listChanges(resourceVersion)).filter((c) => c.kind === 'deployment').map((c) => c.id);
    expect(versions).toEqual(fed);
  });

  it('410 Gone for a version older than the feed keeps', async () => {
    await h.store.pruneChanges(1);
    const res = await h.request('GET', '/api/v1/deployments?watch=1&resourceVersion=1');
    expect(res.status).toBe(410);
  });
});
