/** Pure parts: deterministic names (service.proto CreateServiceRequest.service_id) and the traffic split. */
import { describe, expect, it } from 'vitest';
import { proportionalTraffic } from '../../../providers/gcp-cloud-run/mapping.js';
import { revisionName, SERVICE_ID_PATTERN, serviceId } from '../../../providers/gcp-cloud-run/names.js';

describe('service ids', () => {
  it('start with a letter, use [a-z0-9-], never end with "-", are at most 49 characters, and differ when joins collide', () => {
    const long = 'a'.repeat(39);
    for (const [f, t, d] of [
      ['x', 'gcr', 'a-b'],
      ['b-x', 'gcr', 'a'],
      [long, 'gcr', long],
      ['f', 'gcr', 'abcdefghijklmnopqrstu-w'],
    ] as const) {
      const id = serviceId(f, t, d);
      expect(id).toMatch(SERVICE_ID_PATTERN);
      expect(id.length).toBeLessThanOrEqual(49);
      expect(revisionName(id, '0123456789').length).toBeLessThanOrEqual(63);
    }
    expect(serviceId('x', 'gcr', 'a-b')).not.toBe(serviceId('b-x', 'gcr', 'a'));
    expect(serviceId('x', 'gcr', 'web')).not.toBe(serviceId('x', 'gcr2', 'web'));
    expect(serviceId('x', 'gcr', 'web')).toBe(serviceId('x', 'gcr', 'web'));
  });
});

describe('traffic follows replicas', () => {
  const pct = (r: Record<string, number>, pref = 'a') =>
    proportionalTraffic(r, 's', pref).map((t) => [t.revision, t.percent]);
  it('sums to 100, gives every slice with replicas at least 1%, lists empty slices at 0%', () => {
    expect(pct({ a: 1, b: 2 })).toEqual([
      ['s-a', 33],
      ['s-b', 67],
    ]);
    expect(pct({ a: 1, b: 1, c: 1 }).map((x) => x[1])).toEqual([34, 33, 33]);
    expect(pct({ a: 1, b: 500 })).toEqual([
      ['s-a', 1],
      ['s-b', 99],
    ]);
    expect(pct({ a: 0, b: 3 })).toEqual([
      ['s-a', 0],
      ['s-b', 100],
    ]);
    expect(pct({ a: 0, b: 0 }, 'b')).toEqual([
      ['s-a', 0],
      ['s-b', 100],
    ]);
  });
});
