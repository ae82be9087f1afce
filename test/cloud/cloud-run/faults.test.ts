/**
 * Fault behaviour of the Cloud Run provider against the emulator: throttling and 5xx at a 30% share
 * (seeded), lost write responses, and a revision that never becomes ready (condition.proto
 * Condition: Ready FAILED with reason REVISION_FAILED; operations.proto Operation.error).
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CloudRunProvider } from '../../../providers/gcp-cloud-run/index.js';
import { revisionName, serviceId } from '../../../providers/gcp-cloud-run/index.js';
import { isRetryable, ProviderError } from '../../../src/errors/index.js';
import type { DesiredSlice, ObservedSlice } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { runHarness } from '../../emulators/cloud-run/index.js';

beforeAll(() => nock.disableNetConnect());
const FLEET = 'faults';
const REGION = 'us-central1';
const h = runHarness({ fleet: FLEET });
afterEach(() => {
  expect(h.emulator.violations.problems).toEqual([]);
  h.emulator.faults.reset();
  h.emulator.throttleMixed(0, []);
  h.emulator.loseWriteResponses(0);
});
afterAll(() => {
  h.close();
  nock.enableNetConnect();
});

const template = (image: string): PodTemplate => ({
  containers: [{ name: 'web', image, env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: {} }],
});
const slice = (deployment: string, t: PodTemplate, replicas: number): DesiredSlice => ({
  key: { fleet: FLEET, deployment, revision: revisionOf(t), zone: REGION },
  replicas,
  template: t,
});

/** What the reconciler does: repeat an action while it fails retryably (bounded). */
async function converge<T>(fn: () => Promise<T>, rounds = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!isRetryable(e) || i >= rounds) throw e;
    }
  }
}

async function observeUntil(
  p: CloudRunProvider,
  deployment: string,
  ok: (s: ObservedSlice[]) => boolean,
): Promise<ObservedSlice[]> {
  for (let i = 0; i < 50; i++) {
    const s = await converge(() => p.observe({ fleet: FLEET, deployment }));
    if (ok(s)) return s;
    h.clock.advance(1000);
  }
  throw new Error(`${deployment} did not converge`);
}

describe('30% of calls answered 429 or 503', () => {
  it('create, scale, roll out and delete converge with no duplicate service', async () => {
    h.emulator.throttleMixed(0.3, [
      { status: 429, code: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded for quota metric Write requests' },
      { status: 503, code: 'UNAVAILABLE', message: 'The service is currently unavailable.' },
    ]);
    // and some writes go through but their answer is lost (the caller sees a 503)
    h.emulator.loseWriteResponses(0.3);
    const p = h.provider({ retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 } });
    const t1 = template('gcr.io/p/flaky:1');
    const t2 = template('gcr.io/p/flaky:2');
    await converge(() => p.apply(slice('flaky', t1, 2)));
    await converge(() => p.apply(slice('flaky', t1, 2)));
    let s = await observeUntil(p, 'flaky', (x) => x.length === 1 && x[0]!.ready === 2);
    await converge(() => p.apply(slice('flaky', t1, 4)));
    await converge(() => p.apply(slice('flaky', t2, 1)));
    await converge(() => p.remove(slice('flaky', t1, 0).key));
    s = await observeUntil(p, 'flaky', (x) => x.length === 1 && x[0]!.ready === 1 && x[0]!.revision === revisionOf(t2));
    expect(s[0]!.replicas).toBe(1);

    const id = serviceId(FLEET, 'gcr', 'flaky');
    expect(h.emulator.created.filter((n) => n.endsWith(`/services/${id}`))).toHaveLength(1);
    expect([...h.emulator.services.values()].filter((x) => x.id === id)).toHaveLength(1);
    expect(h.emulator.faults.injected.throttle).toBeGreaterThan(5);
    const statuses = new Set(h.emulator.log.entries.map((e) => e.status));
    expect(statuses.has(429) && statuses.has(503)).toBe(true);

    // steady state: once converged, a re-apply makes no write even under faults
    const mark = h.emulator.log.mark();
    expect(await converge(() => p.apply(slice('flaky', t2, 1)))).toEqual({ changed: false, writes: 0 });
    expect(h.emulator.log.writes(mark)).toEqual([]);
    await converge(() => p.remove(slice('flaky', t2, 0).key));
    expect(h.emulator.services.has(`projects/skyfleet-test/locations/${REGION}/services/${id}`)).toBe(false);
  });
});

describe('a create whose answer is lost', () => {
  it('is retried, finds the service (409 ALREADY_EXISTS) and converges on it: still one service', async () => {
    h.emulator.loseWriteResponses(1);
    const p = h.provider();
    const t = template('gcr.io/p/lost:1');
    const mark = h.emulator.log.mark();
    expect(await p.apply(slice('lost', t, 1))).toEqual({ changed: true, writes: 1 });
    h.emulator.loseWriteResponses(0);
    expect(h.emulator.log.writes(mark).map((e) => `${e.operation} ${e.status}`)).toEqual([
      'services.create 503',
      'services.create 409',
    ]);
    const id = serviceId(FLEET, 'gcr', 'lost');
    expect(h.emulator.created.filter((n) => n.endsWith(`/services/${id}`))).toHaveLength(1);
    const s = await observeUntil(h.provider(), 'lost', (x) => x[0]?.ready === 1);
    expect(s).toHaveLength(1);
    await p.remove(s[0]!.key);
  });
});

describe('a revision that never becomes ready', () => {
  it('apply reports the failed rollout, observe shows it not ready with the reason, traffic stays on the old revision', async () => {
    const p = h.provider();
    const good = template('gcr.io/p/app:good');
    const bad = template('gcr.io/p/app:broken');
    h.emulator.neverReady('gcr.io/p/app:broken');
    await p.apply(slice('app', good, 2));
    const id = serviceId(FLEET, 'gcr', 'app');
    const svc = h.emulator.services.get(`projects/skyfleet-test/locations/${REGION}/services/${id}`)!;

    const err = (await p.apply(slice('app', bad, 2)).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect([err.retryable, err.providerCode, err.operation]).toEqual([false, 'FAILED_PRECONDITION', 'updateService']);
    expect(err.message).toMatch(/is not ready and cannot serve traffic/);

    const obs = await p.observe({ fleet: FLEET, deployment: 'app' });
    const byRev = new Map(obs.map((s) => [s.revision, s]));
    expect(byRev.get(revisionOf(good))).toMatchObject({ replicas: 2, ready: 2 });
    const failed = byRev.get(revisionOf(bad))!;
    expect([failed.replicas, failed.ready]).toEqual([2, 0]);
    expect(failed.replicaStatus.every((r) => r.state === 'failed' && !r.ready)).toBe(true);
    expect(failed.replicaStatus[0]!.message).toMatch(/^REVISION_FAILED: Revision '.*' is not ready/);
    // Cloud Run kept routing to the good revision
    expect(svc.routing).toEqual([
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: revisionName(id, revisionOf(good)), percent: 100 },
    ]);

    // re-applying the same desired state changes nothing (and fails nothing)
    expect(await p.apply(slice('app', bad, 2))).toEqual({ changed: false, writes: 0 });
    // giving up on the bad revision: traffic and the table go back to the good one
    expect(await p.remove(slice('app', bad, 0).key)).toEqual({ changed: true, writes: 1 });
    const after = await p.observe({ fleet: FLEET, deployment: 'app' });
    expect(after.map((s) => [s.revision, s.ready])).toEqual([[revisionOf(good), 2]]);
    await p.remove(slice('app', good, 0).key);
  });

  it('a new service whose only revision never becomes ready is observed failed, not ready', async () => {
    const p = h.provider();
    h.emulator.neverReady('gcr.io/p/solo:broken');
    const t = template('gcr.io/p/solo:broken');
    const err = await p.apply(slice('solo', t, 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    const [s] = await p.observe({ fleet: FLEET, deployment: 'solo' });
    expect([s!.ready, s!.replicaStatus[0]!.state]).toEqual([0, 'failed']);
    expect((await p.remove(s!.key)).changed).toBe(true);
  });
});
