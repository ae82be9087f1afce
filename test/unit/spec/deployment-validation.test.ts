import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/index.js';
import { loadDocuments, parseDeployment, parseFleet } from '../../../src/spec/load.js';

const base = () => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 3,
    template: { containers: [{ name: 'web', image: 'hello/web:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
  },
});

type Mut = (d: any) => void;

function problems(mut: Mut): Array<{ path: string; message: string }> {
  const d = base();
  mut(d);
  try {
    parseDeployment(d);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return [...(e as ValidationError).issues];
  }
  return [];
}

describe('Deployment validation', () => {
  it.each<[string, Mut, string, RegExp]>([
    [
      'port as a name',
      (d) => (d.spec.template.containers[0].ports[0].containerPort = 'http'),
      'spec.template.containers[0].ports[0].containerPort',
      /^expected an integer 1-65535, got "http"$/,
    ],
    [
      'port out of range',
      (d) => (d.spec.template.containers[0].ports[0].containerPort = 70000),
      'spec.template.containers[0].ports[0].containerPort',
      /expected an integer 1-65535, got 70000/,
    ],
    ['negative replicas', (d) => (d.spec.replicas = -1), 'spec.replicas', /expected an integer 0-100000, got -1/],
    ['fractional replicas', (d) => (d.spec.replicas = 1.5), 'spec.replicas', /expected an integer 0-100000, got 1.5/],
    [
      'missing image',
      (d) => delete d.spec.template.containers[0].image,
      'spec.template.containers[0].image',
      /^required/,
    ],
    [
      'empty containers',
      (d) => (d.spec.template.containers = []),
      'spec.template.containers',
      /expected at least one container/,
    ],
    [
      'typo in a field',
      (d) => (d.spec.template.containers[0].imag = 'x'),
      'spec.template.containers[0].imag',
      /unknown field \(did you mean "image"\?\)/,
    ],
    ['unknown top-level spec field', (d) => (d.spec.replica = 2), 'spec.replica', /did you mean "replicas"/],
    ['bad name', (d) => (d.metadata.name = 'Web_1'), 'metadata.name', /lowercase letters/],
    [
      'unknown data plane',
      (d) => (d.spec.service = { port: 8080, targetPort: 8080, dataPlane: 'envoy' }),
      'spec.service.dataPlane',
      /expected service.dataPlane builtin or nginx/,
    ],
    [
      'unknown balancing',
      (d) => (d.spec.service = { port: 8080, targetPort: 8080, balancing: 'least-conn' }),
      'spec.service.balancing',
      /expected service.balancing least-request or round-robin/,
    ],
    [
      'least-request asked of the nginx data plane',
      (d) => (d.spec.service = { port: 8080, targetPort: 8080, dataPlane: 'nginx', balancing: 'least-request' }),
      'spec.service.balancing',
      /nginx data plane balances round robin.*leave service.balancing out or set round-robin/,
    ],
    ['wrong apiVersion', (d) => (d.apiVersion = 'v1'), 'apiVersion', /expected apiVersion "skyfleet.dev\/v1"/],
    [
      'bad cpu',
      (d) => (d.spec.template.containers[0].resources = { cpu: 'lots' }),
      'spec.template.containers[0].resources.cpu',
      /cpu quantity.*got "lots"/,
    ],
    [
      'bad memory',
      (d) => (d.spec.template.containers[0].resources = { memory: '64 megs' }),
      'spec.template.containers[0].resources.memory',
      /memory quantity/,
    ],
    [
      'probe with two actions',
      (d) => (d.spec.template.containers[0].readinessProbe = { httpGet: { port: 8080 }, tcpSocket: { port: 8080 } }),
      'spec.template.containers[0].readinessProbe',
      /exactly one of httpGet, tcpSocket or exec, got 2/,
    ],
    [
      'probe port name not declared',
      (d) => (d.spec.template.containers[0].readinessProbe = { httpGet: { port: 'admin' } }),
      'spec.template.containers[0].readinessProbe.httpGet.port',
      /"admin" is not a declared port name/,
    ],
    [
      'periodSeconds 0',
      (d) => (d.spec.template.containers[0].readinessProbe = { httpGet: { port: 8080 }, periodSeconds: 0 }),
      'spec.template.containers[0].readinessProbe.periodSeconds',
      /expected an integer 1-3600, got 0/,
    ],
    [
      'env with value and valueFrom',
      (d) =>
        (d.spec.template.containers[0].env = [
          { name: 'A', value: 'x', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        ]),
      'spec.template.containers[0].env[0]',
      /exactly one of value or valueFrom/,
    ],
    [
      'bad env name',
      (d) => (d.spec.template.containers[0].env = [{ name: '1A', value: 'x' }]),
      'spec.template.containers[0].env[0].name',
      /environment variable name/,
    ],
    [
      'unknown strategy',
      (d) => (d.spec.strategy = { type: 'Rolling' }),
      'spec.strategy.type',
      /RollingUpdate, Recreate, BlueGreen or Canary, got "Rolling"/,
    ],
    [
      'bad surge',
      (d) => (d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots' } }),
      'spec.strategy.rollingUpdate.maxSurge',
      /a count .* or a percentage/,
    ],
    [
      'min above max',
      (d) => (d.spec.placement = { targets: [{ name: 'aws', min: 3, max: 1 }] }),
      'spec.placement.targets[0].min',
      /min 3 is greater than max 1/,
    ],
    [
      'target listed twice',
      (d) => (d.spec.placement = { targets: [{ name: 'aws' }, { name: 'aws' }] }),
      'spec.placement.targets[1].name',
      /listed twice/,
    ],
    [
      'bad topology key',
      (d) => (d.spec.placement = { spread: [{ topologyKey: 'rack', maxSkew: 1 }] }),
      'spec.placement.spread[0].topologyKey',
      /expected one of "provider", "region", "zone", "target", got "rack"/,
    ],
    [
      'duplicate container',
      (d) => d.spec.template.containers.push({ name: 'web', image: 'x' }),
      'spec.template.containers[1].name',
      /duplicate container name "web"/,
    ],
  ])('%s', (_name, mut, path, message) => {
    const ps = problems(mut);
    const hit = ps.find((p) => p.path === path);
    expect(hit, `issues were ${JSON.stringify(ps)}`).toBeDefined();
    expect(hit!.message).toMatch(message);
  });

  it('lists every problem at once, not just the first', () => {
    const ps = problems((d) => {
      d.spec.replicas = -1;
      d.spec.template.containers[0].ports[0].containerPort = 0;
      d.spec.template.containers[0].foo = 1;
    });
    expect(ps.map((p) => p.path).sort()).toEqual([
      'spec.replicas',
      'spec.template.containers[0].foo',
      'spec.template.containers[0].ports[0].containerPort',
    ]);
  });

  it('applies Kubernetes defaults', () => {
    const d = parseDeployment({
      ...base(),
      spec: {
        ...base().spec,
        template: { containers: [{ name: 'web', image: 'x', readinessProbe: { tcpSocket: { port: 80 } } }] },
      },
    });
    expect(d.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });
    expect(d.spec.template.containers[0]!.readinessProbe).toMatchObject({
      periodSeconds: 10,
      timeoutSeconds: 1,
      failureThreshold: 3,
      successThreshold: 1,
      initialDelaySeconds: 0,
    });
    expect(d.spec.placement).toEqual({ spread: [], optimize: 'spread', returnAfterSeconds: 60 });
  });

  it.each([
    ['cpu as millicores', { cpu: '250m', memory: '64Mi' }],
    ['cpu as a number', { cpu: 2, memory: '1Gi' }],
    ['decimal memory units', { cpu: '0.5', memory: '512M' }],
  ])('accepts %s', (_n, resources) => {
    const d = base() as any;
    d.spec.template.containers[0].resources = resources;
    expect(parseDeployment(d).spec.template.containers[0]!.resources).toEqual(resources);
  });
});

describe('Fleet validation', () => {
  it('names unknown kinds and unknown fields of a target with what is allowed', () => {
    const err = (() => {
      try {
        parseFleet({
          apiVersion: 'skyfleet.dev/v1',
          kind: 'Fleet',
          metadata: { name: 'f' },
          targets: [
            { name: 'a', kind: 'dockr' },
            { name: 'b', kind: 'memory', zone: ['a'] },
          ],
        });
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    const byPath = Object.fromEntries(err!.issues.map((i) => [i.path, i.message]));
    expect(byPath['targets[0].kind']).toMatch(/expected kind one of: .*docker.*, got "dockr"/);
    expect(byPath['targets[1].zone']).toMatch(/unknown field \(did you mean "zones"\?\)/);
  });

  it('rejects a target declared twice', () => {
    expect(() =>
      parseFleet({
        apiVersion: 'skyfleet.dev/v1',
        kind: 'Fleet',
        metadata: { name: 'f' },
        targets: [
          { name: 'a', kind: 'docker' },
          { name: 'a', kind: 'memory' },
        ],
      }),
    ).toThrow(/targets\[1\]\.name: target "a" is declared twice/);
  });
});

describe('multi-document YAML', () => {
  it('loads a Fleet and Deployments, and reports problems per document', () => {
    const ok = loadDocuments(`apiVersion: skyfleet.dev/v1
kind: Fleet
metadata: { name: demo }
targets: [{ name: local, kind: docker }]
---
apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web }
spec: { replicas: 2, template: { containers: [{ name: web, image: x }] } }
`);
    expect(ok.fleet?.targets[0]).toMatchObject({ name: 'local', kind: 'docker', publishAddress: '127.0.0.1' });
    expect(ok.deployments.map((d) => d.metadata.name)).toEqual(['web']);

    expect(() => loadDocuments('kind: Deployment\nmetadata: { name: web }\n---\nkind: Service\n', 'x.yaml')).toThrow(
      /document 1: apiVersion: expected apiVersion "skyfleet.dev\/v1", got nothing[\s\S]*document 1: spec: required[\s\S]*document 2: kind: expected "Fleet" or "Deployment", got "Service"/,
    );
    expect(() => loadDocuments('a: [1, 2\n', 'bad.yaml')).toThrow(/YAML syntax/);
  });

  it('rejects a deployment defined twice', () => {
    const d =
      'apiVersion: skyfleet.dev/v1\nkind: Deployment\nmetadata: { name: web }\nspec: { template: { containers: [{ name: web, image: x }] } }\n';
    expect(() => loadDocuments(`${d}---\n${d}`)).toThrow(/deployment "web" is defined twice/);
  });
});
