import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../../../src/spec/json-schema.js';
import { parseDeployment } from '../../../src/spec/load.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { base } from './deployment-doc.js';

describe('spec.autoscaling', () => {
  it('takes the shape of the issue with Kubernetes HPA defaults', () => {
    const d = parseDeployment(base());
    expect(d.spec.autoscaling).toEqual({
      minReplicas: 1,
      maxReplicas: 20,
      metrics: [{ type: 'concurrency', target: 10 }],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          policies: [
            { type: 'Percent', value: 100, periodSeconds: 15 },
            { type: 'Pods', value: 4, periodSeconds: 15 },
          ],
          selectPolicy: 'Max',
        },
        scaleDown: {
          stabilizationWindowSeconds: 300,
          policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
          selectPolicy: 'Max',
        },
      },
      scaleToZero: { idleSeconds: 60, activationTimeoutSeconds: 30 },
    });
    // replicas stays: it is the starting point
    expect(d.spec.replicas).toBe(2);
  });

  it('accepts the issue example in full, and fills a direction given in part', () => {
    const d = parseDeployment({
      ...base(),
      spec: {
        ...base().spec,
        autoscaling: {
          minReplicas: 0,
          maxReplicas: 20,
          metrics: [
            { type: 'concurrency', target: 10 },
            { type: 'requestsPerSecond', target: 50 },
            { type: 'cpu', targetUtilization: 70 },
            { type: 'memory', targetUtilization: 80 },
            { type: 'p99LatencyMs', target: 300 },
          ],
          behavior: { scaleDown: { stabilizationWindowSeconds: 60 }, scaleUp: { selectPolicy: 'Min' } },
          scaleToZero: { idleSeconds: 120 },
        },
      },
    });
    const a = d.spec.autoscaling!;
    expect(a.metrics).toHaveLength(5);
    expect(a.behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 60,
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      selectPolicy: 'Max',
    });
    expect(a.behavior.scaleUp.selectPolicy).toBe('Min');
    expect(a.behavior.scaleUp.policies).toHaveLength(2);
    expect(a.scaleToZero).toEqual({ idleSeconds: 120, activationTimeoutSeconds: 30 });
  });

  it.each([
    ['no behavior', undefined],
    ['an empty behavior', {}],
    ['empty directions', { scaleUp: {}, scaleDown: {} }],
  ])('gives each deployment its own default rules (%s: no shared objects)', (_n, behavior) => {
    const doc = () => {
      const d = base();
      Object.assign(d.spec.autoscaling, { behavior });
      return d;
    };
    const a = parseDeployment(doc()).spec.autoscaling!;
    expect(a.behavior).toEqual(parseDeployment(base()).spec.autoscaling!.behavior);
    a.behavior.scaleUp.policies[0]!.value = 1;
    a.behavior.scaleDown.policies.push({ type: 'Pods', value: 1, periodSeconds: 1 });
    a.behavior.scaleUp.selectPolicy = 'Disabled';
    expect(parseDeployment(doc()).spec.autoscaling!.behavior).toEqual(
      parseDeployment(base()).spec.autoscaling!.behavior,
    );
    expect(parseDeployment(doc()).spec.autoscaling!.behavior.scaleUp.policies[0]!.value).toBe(100);
  });

  it('is in the Deployment JSON Schema (`skyfleet schema`), with its metric types and defaults', () => {
    const schema = jsonSchemas().Deployment as {
      properties: { spec: { properties: Record<string, unknown> } };
    };
    const a = schema.properties.spec.properties.autoscaling;
    expect(a).toBeDefined();
    const text = JSON.stringify(a);
    for (const t of ['concurrency', 'requestsPerSecond', 'cpu', 'memory', 'p99LatencyMs'])
      expect(text).toContain(`"${t}"`);
    expect(text).toContain('"stabilizationWindowSeconds"');
    expect(text).toContain('"idleSeconds"');
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

describe('the revision and autoscaling', () => {
  // revisionOf hashes spec.template only: scaling is not a new revision, so changing the bounds,
  // metrics or behaviour never starts a rollout.
  it('does not change when only autoscaling changes', () => {
    const plain = parseDeployment({ ...base(), spec: { ...base().spec, autoscaling: undefined } });
    const a = parseDeployment(base());
    const b = parseDeployment({
      ...base(),
      spec: {
        ...base().spec,
        autoscaling: {
          minReplicas: 0,
          maxReplicas: 50,
          metrics: [{ type: 'cpu', targetUtilization: 50 }],
          behavior: { scaleDown: { stabilizationWindowSeconds: 10 } },
        },
      },
    });
    expect(revisionOf(a.spec.template)).toBe(revisionOf(plain.spec.template));
    expect(revisionOf(b.spec.template)).toBe(revisionOf(a.spec.template));
    // and the template still matters
    const c = base();
    c.spec.template.containers[0]!.image = 'hello/web:2';
    expect(revisionOf(parseDeployment(c).spec.template)).not.toBe(revisionOf(a.spec.template));
  });
});
