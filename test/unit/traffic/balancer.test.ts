import { describe, expect, it } from 'vitest';
import { type Group, type Pickable, pick, pickEndpoint } from '../../../src/traffic/balancer.js';
import { ChunkedScanner } from '../../../src/traffic/http1.js';
import { WindowStats } from '../../../src/traffic/stats.js';

type E = Pickable & { id: string };
const e = (id: string, weight = 1, inFlight = 0): E => ({ id, weight, inFlight, cw: 0 });

describe('balancer', () => {
  it('smooth weighted round robin over revisions gives exact shares over a cycle', () => {
    const groups: Group<E>[] = [
      { revision: 'stable', weight: 90, cw: 0, eps: [e('s1'), e('s2')] },
      { revision: 'canary', weight: 10, cw: 0, eps: [e('c1')] },
    ];
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const p = pick(groups, null, true)!;
      counts.set(p.id, (counts.get(p.id) ?? 0) + 1);
    }
    expect(counts.get('c1')).toBe(200);
    expect(counts.get('s1')).toBe(900);
    expect(counts.get('s2')).toBe(900);
  });

  it('spreads a small weight evenly (smooth: no bursts)', () => {
    const groups: Group<E>[] = [
      { revision: 'a', weight: 3, cw: 0, eps: [e('a')] },
      { revision: 'b', weight: 1, cw: 0, eps: [e('b')] },
    ];
    const seq = Array.from({ length: 8 }, () => pick(groups, null, true)!.id).join('');
    expect(seq).toBe('aabaaaba');
  });

  it('revisions with weight 0 or no endpoint get nothing', () => {
    const groups: Group<E>[] = [
      { revision: 'a', weight: 0, cw: 0, eps: [e('a')] },
      { revision: 'b', weight: 50, cw: 0, eps: [] },
      { revision: 'c', weight: 50, cw: 0, eps: [e('c')] },
    ];
    for (let i = 0; i < 10; i++) expect(pick(groups, null, true)!.id).toBe('c');
    expect(pick([groups[0]!, groups[1]!], null, true)).toBeNull();
  });

  it('least outstanding among equals, ties by round robin, relative to weight', () => {
    const eps = [e('a', 1, 2), e('b', 1, 1), e('c', 1, 1)];
    expect([
      pickEndpoint(eps, null, true)!.id,
      pickEndpoint(eps, null, true)!.id,
      pickEndpoint(eps, null, true)!.id,
    ]).toEqual(['b', 'c', 'b']);
    // weight 2 with 2 in flight scores like weight 1 with 1 in flight
    const w = [e('a', 2, 2), e('b', 1, 1)];
    const ids = Array.from({ length: 6 }, () => pickEndpoint(w, null, true)!.id);
    expect(ids.filter((x) => x === 'a')).toHaveLength(4);
    // the excluded endpoint is skipped
    expect(pickEndpoint([e('a'), e('b', 1, 5)], eps[0]!, true)!.id).toBe('a');
    const only = e('only');
    expect(pickEndpoint([only], only, true)).toBeNull();
  });

  it('round-robin (leastRequest false) ignores in-flight requests and keeps the weights', () => {
    // 'a' is busy: least-request would never pick it while the others are idle
    const eps = [e('a', 1, 5), e('b'), e('c')];
    expect(Array.from({ length: 6 }, () => pickEndpoint(eps, null, false)!.id).join('')).toBe('abcabc');
    expect(Array.from({ length: 3 }, () => pickEndpoint(eps, null, true)!.id)).not.toContain('a');
    // weights still hold, smoothly: 2:1
    const w = [e('x', 2, 9), e('y', 1)];
    expect(Array.from({ length: 6 }, () => pickEndpoint(w, null, false)!.id).join('')).toBe('xyxxyx');
    // the excluded endpoint is skipped, and pick passes the mode down
    expect(pickEndpoint(eps, eps[1]!, false)!.id).not.toBe('b');
    const groups: Group<E>[] = [{ revision: 'r', weight: 1, cw: 0, eps: [e('p', 1, 3), e('q')] }];
    expect(Array.from({ length: 4 }, () => pick(groups, null, false)!.id).join('')).toBe('pqpq');
  });
});

describe('chunked scanner', () => {
  it('finds the end of a chunked body across splits, with extensions and trailers', () => {
    const body = Buffer.from('5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT');
    for (let split = 0; split <= body.length; split++) {
      const s = new ChunkedScanner();
      const a = body.subarray(0, split);
      const b = body.subarray(split);
      const i = s.scan(a, 0);
      if (i >= 0) {
        expect(i).toBe(body.length - 4);
      } else {
        expect(s.scan(b, 0)).toBe(body.length - 4 - split);
      }
    }
  });
  it('rejects malformed framing', () => {
    expect(() => new ChunkedScanner().scan(Buffer.from('zz\r\n'), 0)).toThrow();
    expect(() => new ChunkedScanner().scan(Buffer.from('3\r\nabcX'), 0)).toThrow();
  });
});

describe('window stats', () => {
  it('counts, success rate and percentiles over a sliding window', () => {
    const s = new WindowStats(60_000);
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 99; i++) s.record(t0, 10, false);
    s.record(t0, 500, true);
    const now = s.summary(t0 + 500, 10_000);
    expect(now.requests).toBe(100);
    expect(now.errors).toBe(1);
    expect(now.successRate).toBeCloseTo(0.99);
    expect(now.p50Ms).toBeGreaterThanOrEqual(10);
    expect(now.p50Ms).toBeLessThan(11);
    expect(now.p99Ms).toBeGreaterThanOrEqual(10);
    expect(now.p99Ms).toBeLessThan(11);
    // 20 s later the 10 s window is empty, the 60 s one is not
    expect(s.summary(t0 + 20_000, 10_000).requests).toBe(0);
    expect(s.summary(t0 + 20_000, 60_000).requests).toBe(100);
  });

  it("window stats give requests per second and concurrency (Little's law) over the time covered", () => {
    const s = new WindowStats(60_000);
    const t0 = 1_700_000_000_000; // a whole second
    // 4 s of 50 requests a second, each 200 ms: 10 in flight on average
    for (let sec = 0; sec < 4; sec++) for (let i = 0; i < 50; i++) s.record(t0 + sec * 1000 + i * 20, 200, false);
    const w = s.summary(t0 + 3999, 4000);
    expect(w.elapsedMs).toBe(3999);
    expect(w.requestsPerSecond).toBeCloseTo(50, 0);
    expect(w.concurrency).toBeCloseTo(10, 0);
    // the same load seen over a 2 s window: the same rates
    const w2 = s.summary(t0 + 3999, 2000);
    expect(w2.requests).toBe(100);
    expect(w2.requestsPerSecond).toBeCloseTo(50, 0);
    expect(w2.concurrency).toBeCloseTo(10, 0);
    // idle afterwards: rates fall to 0 (idle is data)
    const later = s.summary(t0 + 20_000, 5000);
    expect(later.requestsPerSecond).toBe(0);
    expect(later.concurrency).toBe(0);
  });
});
