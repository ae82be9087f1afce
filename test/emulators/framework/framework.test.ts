import https from 'node:https';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
