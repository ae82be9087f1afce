import https from 'node:https';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaggedReads } from '../../../emulators/framework/index.js';
import { FaultKnobs, installEmulator, ManualClock, phaseAt, RequestLog, seededRandom } from './index.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

function httpsPost(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('emulator framework', () => {
  it('routes any method, path and query to the handler, with headers and a parsed JSON body (fetch and https)', async () => {
    const seen: unknown[] = [];
    const em = installEmulator('https://api.example.test', async (method, path, query, headers, body) => {
      seen.push({ method, path, q: query.get('a'), h: headers['x-test'], body });
      return { status: 201, body: { ok: true }, headers: { 'x-request-id': 'r1' } };
    });
    const r1 = await fetch('https://api.example.test/v1/things?a=1', { headers: { 'x-test': 'yes' } });
    expect([r1.status, await r1.json(), r1.headers.get('x-request-id')]).toEqual([201, { ok: true }, 'r1']);
    const r2 = await httpsPost('https://api.example.test/', JSON.stringify({ n: 2 }), {
      'content-type': 'application/json',
      'x-test': 'no',
    });
    expect([r2.status, JSON.parse(r2.text)]).toEqual([201, { ok: true }]);
    expect(seen).toEqual([
      { method: 'GET', path: '/v1/things', q: '1', h: 'yes', body: null },
      { method: 'POST', path: '/', q: null, h: 'no', body: { n: 2 } },
    ]);
    em.uninstall();
    await expect(fetch('https://api.example.test/')).rejects.toThrow();
  });

  it('throttles a deterministic share of calls and forces the next N failures', () => {
    const a = new FaultKnobs();
    const b = new FaultKnobs();
    const fault = { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' };
    a.throttle(0.3, fault, { seed: 7 });
    b.throttle(0.3, fault, { seed: 7 });
    const ra = Array.from({ length: 200 }, () => a.next('Op') !== undefined);
    const rb = Array.from({ length: 200 }, () => b.next('Op') !== undefined);
    expect(ra).toEqual(rb);
    const share = ra.filter(Boolean).length / 200;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);

    const k = new FaultKnobs();
    k.failNext(2, { status: 500, code: 'ServerException', message: 'boom' }, ['Write']);
    expect(k.next('Read')).toBeUndefined();
    expect(k.next('Write')?.code).toBe('ServerException');
    expect(k.next('Write')?.source).toBe('forced');
    expect(k.next('Write')).toBeUndefined();
    expect(seededRandom(1)()).toBe(seededRandom(1)());
  });

  it('computes phases from the clock and keeps an ordered request log', () => {
    const clock = new ManualClock(0);
    const phases = [
      [0, 'PROVISIONING'],
      [1000, 'PENDING'],
      [3000, 'RUNNING'],
    ] as const;
    expect(phaseAt(0, clock.now(), phases)).toBe('PROVISIONING');
    clock.advance(1500);
    expect(phaseAt(0, clock.now(), phases)).toBe('PENDING');
    clock.advance(5000);
    expect(phaseAt(0, clock.now(), phases)).toBe('RUNNING');

    const log = new RequestLog();
    log.add({
      time: 0,
      operation: 'List',
      method: 'POST',
      path: '/',
      body: {},
      status: 200,
      response: {},
      write: false,
    });
    const m = log.mark();
    log.add({
      time: 1,
      operation: 'Create',
      method: 'POST',
      path: '/',
      body: {},
      status: 400,
      response: {},
      write: true,
      fault: 'throttle',
    });
    log.add({
      time: 2,
      operation: 'Create',
      method: 'POST',
      path: '/',
      body: {},
      status: 200,
      response: {},
      write: true,
    });
    expect(log.operations(m)).toEqual(['Create', 'Create']);
    expect([log.count('Create'), log.writes().length, log.successfulWrites().length]).toEqual([2, 2, 1]);
  });

  it('lagged reads show each resource as it was before the writes not yet applied, in order', () => {
    const r = new LaggedReads<string>(1000);
    const live = { a: 'v1' } as Record<string, string | undefined>;
    const read = (now: number) => r.read('a', now, () => live.a);
    // created at 0: absent until 1000
    r.write('a', 0, undefined);
    expect([read(0), read(999), r.stale('a', 999), r.keys(999)]).toEqual([undefined, undefined, true, ['a']]);
    expect(read(1000)).toBe('v1');
    // updated at 1500 and 2000: v1 until 2500, v2 until 3000, then current
    r.write('a', 1500, 'v1');
    live.a = 'v2';
    r.write('a', 2000, 'v2');
    live.a = 'v3';
    expect([read(1600), read(2499), read(2500), read(2999), read(3000)]).toEqual(['v1', 'v1', 'v2', 'v2', 'v3']);
    expect(r.stale('a', 3000)).toBe(false);
    // deleted at 4000: still read until 5000, and listed among the keys meanwhile
    r.write('a', 4000, 'v3');
    live.a = undefined;
    expect([read(4500), r.keys(4500), read(5000), r.keys(5000)]).toEqual(['v3', ['a'], undefined, []]);
    // lag 0: reads are current
    const now = new LaggedReads<string>(0);
    now.write('b', 0, undefined);
    expect([now.read('b', 0, () => 'x'), now.keys(0)]).toEqual(['x', []]);
  });
});
