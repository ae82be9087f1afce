import { describe, expect, it } from 'vitest';
import { ManualTimers, Router, type RouterOptions } from '../../../src/traffic/index.js';
import { eventually } from '../../helpers/eventually.js';
import { ep, request, testCleanups } from './helpers.js';

const { cleanups, upstreams } = testCleanups();

async function router(options: Partial<RouterOptions> = {}): Promise<{ r: Router; port: number }> {
  const r = new Router({ name: 'web', ...options });
  cleanups.push(() => r.close());
  const { port } = await r.start();
  return { r, port };
}

describe('Router activation (scale to zero)', () => {
  it('without activation a request with no endpoint gets 503 at once', async () => {
    const { port } = await router();
    const res = await request(port);
    expect(res.status).toBe(503);
  });

  it('holds requests while there is no endpoint, asks once for a replica, and sends them on in order when one is ready', async () => {
    const [a] = await upstreams('a');
    const { r, port } = await router();
    let demands = 0;
    const coldStarts: number[] = [];
    r.setActivation({ timeoutMs: 30_000, onDemand: () => demands++, onColdStart: (ms) => coldStarts.push(ms) });
    const replies = [request(port, { path: '/1' }), request(port, { method: 'POST', path: '/2', body: 'hello' })];
    await eventually(() => r.held() === 2, { message: 'two requests held' });
    expect(demands).toBe(1);
    r.setEndpoints([ep('a', a!.port)]);
    const [one, two] = await Promise.all(replies);
    expect(one).toMatchObject({ status: 200, body: 'a' });
    expect(two).toMatchObject({ status: 200, body: 'a:hello' }); // the body read while held is not lost
    expect(r.held()).toBe(0);
    expect(coldStarts).toHaveLength(1);
    expect(r.stats(60_000)[0]?.requests).toBe(2);
  });

  it('answers 503 with Retry-After to a request held past the activation timeout', async () => {
    const timers = new ManualTimers(Date.now());
    const { r, port } = await router({ timers });
    r.setActivation({ timeoutMs: 5_000, onDemand: () => undefined });
    const reply = request(port);
    await eventually(() => r.held() === 1, { message: 'request held' });
    timers.advance(4_900);
    expect(r.held()).toBe(1);
    timers.advance(200);
    const res = await reply;
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatch(/scaled to zero/);
    expect(r.held()).toBe(0);
  });

  it('holds at most maxHeld; switching activation off answers what is held', async () => {
    const { r, port } = await router();
    r.setActivation({ timeoutMs: 30_000, maxHeld: 1, onDemand: () => undefined });
    const first = request(port);
    await eventually(() => r.held() === 1, { message: 'first held' });
    expect((await request(port)).status).toBe(503); // the queue is full
    r.setActivation(null);
    expect((await first).status).toBe(503);
  });

  it('forgets a held request whose client went away', async () => {
    const [a] = await upstreams('a');
    const { r, port } = await router();
    r.setActivation({ timeoutMs: 30_000, onDemand: () => undefined });
    const ac = new AbortController();
    const gone = import('node:http').then(
      (http) =>
        new Promise<void>((resolve) => {
          const req = http.request({ host: '127.0.0.1', port, path: '/', signal: ac.signal });
          req.on('error', () => resolve());
          req.end();
        }),
    );
    await eventually(() => r.held() === 1, { message: 'held' });
    ac.abort();
    await gone;
    await eventually(() => r.held() === 0, { message: 'dropped when the client left' });
    r.setEndpoints([ep('a', a!.port)]);
    expect(a!.hits).toBe(0);
  });
});
