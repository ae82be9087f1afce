// The load helper of the Docker traffic tests: success is the expected status and body, so a 404
// or a wrong version served during a rollout is a failure, not a pass.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.js';
import { startLoad } from '../../helpers/traffic/load.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server answering each request with the next of `answers`, round robin. */
async function serve(answers: ReadonlyArray<[number, string]>): Promise<number> {
  let i = 0;
  const s = http.createServer((_req, res) => {
    const [status, body] = answers[i++ % answers.length]!;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(`${body}\n`);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

/** Runs the load until `n` requests are answered and counted. */
async function run(port: number, n: number, options: Parameters<typeof startLoad>[1] = {}) {
  const load = startLoad(port, { maxRequests: n, ...options });
  const counted = () => load.result.failed + [...load.result.bodies.values()].reduce((a, b) => a + b, 0);
  await eventually(async () => counted() === n, { message: `${n} answers`, timeoutMs: 5_000, intervalMs: 5 });
  return load.stop();
}

describe('startLoad', () => {
  it('counts 200s with the expected bodies as success', async () => {
    const port = await serve([
      [200, 'v1'],
      [200, 'v2'],
    ]);
    const r = await run(port, 40, { expectBodies: ['v1', 'v2'] });
    expect(r.failed).toBe(0);
    expect((r.bodies.get('v1') ?? 0) + (r.bodies.get('v2') ?? 0)).toBe(40);
  });

  it('a 404 or a 403 is a failure, not only a 5xx', async () => {
    const port = await serve([
      [200, 'v1'],
      [404, 'not found'],
      [403, 'forbidden'],
    ]);
    const r = await run(port, 30, { concurrency: 1 });
    expect(r.failed).toBe(20);
    expect(r.failures).toContain('404 not found');
    expect(r.failures).toContain('403 forbidden');
  });

  it('a body outside the expected versions is a failure', async () => {
    const port = await serve([
      [200, 'v1'],
      [200, 'v9'],
    ]);
    const r = await run(port, 20, { concurrency: 1, expectBodies: ['v1', 'v2'] });
    expect(r.failed).toBe(10);
    expect(r.failures[0]).toBe('200 v9');
  });

  it('another expected status may be named', async () => {
    const port = await serve([[204, '']]);
    expect((await run(port, 5, { expectStatus: [204] })).failed).toBe(0);
    expect((await run(port, 5)).failed).toBe(5);
  });
});
