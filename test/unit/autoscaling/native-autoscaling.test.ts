import { describe, expect, it } from 'vitest';
import { maxConcurrencyFor } from '../../../providers/gcp-cloud-run/mapping.js';
import { boundsShare, nativeAutoscalers, sliceAutoscaling } from '../../../src/autoscaling/native-autoscaling.js';
import { place } from '../../../src/placement/index.js';
import { nativeBoundsActions } from '../../../src/plan/index.js';
import type { ObservedSlice, SliceAutoscaling } from '../../../src/provider/provider.js';
import { parseDeployment } from '../../../src/spec/load.js';
import { caps, domain, request } from '../placement/fixtures.js';

const dep = (extra: Record<string, unknown> = {}, autoscaling: Record<string, unknown> | null = {}) =>
  parseDeployment({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 4,
      service: { port: 18080, targetPort: 8080 },
      template: { containers: [{ name: 'web', image: 'img:1', ports: [{ containerPort: 8080 }] }] },
      ...(autoscaling
        ? {
            autoscaling: {
              minReplicas: 2,
              maxReplicas: 20,
              metrics: [{ type: 'concurrency', target: 30 }],
              ...autoscaling,
            },
          }
        : {}),
      ...extra,
    },
  });

const run = { target: 'run', capabilities: { nativeAutoscaling: true } };
const run2 = { target: 'run-eu', capabilities: { nativeAutoscaling: true } };
const docker = { target: 'docker', capabilities: { nativeAutoscaling: false } };

describe('which autoscaler scales a deployment', () => {
  it("the platform's own when every target the deployment may use has one", () => {
    expect(nativeAutoscalers(dep(), [run, run2])).toEqual(['run', 'run-eu']);
    // placement.targets narrows the fleet to the ones it may use
    expect(nativeAutoscalers(dep({ placement: { targets: [{ name: 'run' }] } }), [run, docker])).toEqual(['run']);
  });

  it("skyfleet's when one target has none, when there is no autoscaling, or no target", () => {
    expect(nativeAutoscalers(dep(), [run, docker])).toBeUndefined();
    expect(nativeAutoscalers(dep({}, null), [run])).toBeUndefined();
    expect(nativeAutoscalers(dep({ placement: { targets: [{ name: 'gone' }] } }), [run])).toBeUndefined();
  });

  it('each slice carries the bounds, the count they are shared by, and the concurrency target', () => {
    expect(sliceAutoscaling(dep())).toEqual({
      minReplicas: 2,
      maxReplicas: 20,
      deploymentReplicas: 4,
      concurrency: 30,
    });
    expect(
      sliceAutoscaling(dep({}, { metrics: [{ type: 'requestsPerSecond', target: 50 }] }))?.concurrency,
    ).toBeUndefined();
    expect(sliceAutoscaling(dep({}, null))).toBeUndefined();
  });
});

describe("a target's share of the bounds", () => {
  const a: SliceAutoscaling = { minReplicas: 2, maxReplicas: 20, deploymentReplicas: 4 };
  it.each([
    // placed of 4 -> min (rounded), max (rounded up, at least 1 and min)
    [4, { min: 2, max: 20 }],
    [2, { min: 1, max: 10 }],
    [1, { min: 1, max: 5 }],
    [3, { min: 2, max: 15 }],
    [0, { min: 0, max: 1 }],
    [9, { min: 2, max: 20 }],
  ])('%i of 4 replicas placed -> %o', (placed, want) => {
    expect(boundsShare(a, placed)).toEqual(want);
  });

  it('scale to zero stays zero; a count of 0 is shared as if it were 1', () => {
    expect(boundsShare({ minReplicas: 0, maxReplicas: 3, deploymentReplicas: 1 }, 1)).toEqual({ min: 0, max: 3 });
    expect(boundsShare({ minReplicas: 0, maxReplicas: 3, deploymentReplicas: 0 }, 0)).toEqual({ min: 0, max: 1 });
  });

  it('Cloud Run aims at 60% of its maximum concurrency: a target of T is a maximum of ceil(T / 0.6), 1 to 1000', () => {
    expect(maxConcurrencyFor(30)).toBe(50);
    expect(maxConcurrencyFor(6)).toBe(10);
    expect(maxConcurrencyFor(10)).toBe(17);
    expect(maxConcurrencyFor(0.1)).toBe(1);
    expect(maxConcurrencyFor(900)).toBe(1000);
  });
});

describe('bounds brought up to date', () => {
  const slice = (target: string, revision: string, autoscaling?: SliceAutoscaling): ObservedSlice => ({
    key: { fleet: 'f', deployment: 'web', revision, zone: 'z' },
    target,
    replicas: 3,
    ready: 3,
    replicaStatus: [],
    revision,
    ...(autoscaling ? { autoscaling } : {}),
  });
  const want: SliceAutoscaling = { minReplicas: 2, maxReplicas: 20, deploymentReplicas: 4, concurrency: 30 };

  it('a slice of the current revision holding other bounds gets a repair that keeps its count', () => {
    const actions = nativeBoundsActions({
      revision: 'r2',
      observed: [
        slice('run', 'r2', { ...want, maxReplicas: 10 }),
        slice('run', 'r1', { ...want, maxReplicas: 10 }), // an old revision: the rollout removes it
        slice('run-eu', 'r2', want),
        slice('docker', 'r2'),
      ],
      want: (t) => (t === 'docker' ? undefined : want),
    });
    expect(actions).toEqual([
      {
        type: 'repair',
        target: 'run',
        zone: 'z',
        revision: 'r2',
        from: 3,
        to: 3,
        reason: 'autoscaling bounds 2-10 of 4, concurrency 30 -> 2-20 of 4, concurrency 30',
      },
    ]);
  });

  it('bounds are taken away when skyfleet scales the deployment again, and given when the platform does', () => {
    const off = nativeBoundsActions({ revision: 'r', observed: [slice('run', 'r', want)], want: () => undefined });
    expect(off.map((a) => a.reason)).toEqual([
      'autoscaling bounds 2-20 of 4, concurrency 30 -> none (skyfleet scales it)',
    ]);
    const on = nativeBoundsActions({ revision: 'r', observed: [slice('run', 'r')], want: () => want });
    expect(on).toHaveLength(1);
  });
});

describe('placement of a deployment that scales to zero', () => {
  it('only on targets that can hold none and start one on demand, and says why', () => {
    const ds = [
      domain('aws-east', 'a', { capabilities: { ...caps, scaleToZero: true } }),
      domain('old-vm', 'a', { capabilities: { ...caps, scaleToZero: false } }),
    ];
    const req = request(ds, 2);
    const r = place({ ...req, scaleToZero: true });
    expect(r.assignments.map((a) => a.target)).toEqual(['aws-east']);
    expect(r.explain.find((e) => e.target === 'old-vm')).toMatchObject({
      filter: 'scale-to-zero',
      reason: 'cannot hold zero replicas and start one on demand (autoscaling.minReplicas is 0)',
    });
    // a deployment that keeps a replica goes to both
    expect(new Set(place(req).assignments.map((a) => a.target))).toEqual(new Set(['aws-east', 'old-vm']));
  });
});
