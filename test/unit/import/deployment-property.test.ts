// A generated Kubernetes Deployment survives convert -> skyfleet spec with its meaning intact:
// replicas, containers (image, command, args, env, ports, resources, probes), strategy and spread
// come out as they went in; a field skyfleet lacks, put anywhere, comes back as a warning at its path.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { convertText } from '../../../src/import/index.js';
import { parseDeployment } from '../../../src/spec/load.js';

const word = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/);

const probe = fc.record({
  action: fc.oneof(
    fc.record({ httpGet: fc.record({ path: word.map((w) => `/${w}`), port: fc.integer({ min: 1, max: 65535 }) }) }),
    fc.record({ tcpSocket: fc.record({ port: fc.integer({ min: 1, max: 65535 }) }) }),
    fc.record({ exec: fc.record({ command: fc.array(word, { minLength: 1, maxLength: 3 }) }) }),
  ),
  periodSeconds: fc.integer({ min: 1, max: 60 }),
  failureThreshold: fc.integer({ min: 1, max: 10 }),
  initialDelaySeconds: fc.integer({ min: 0, max: 120 }),
});

const container = fc.record({
  image: fc.tuple(word, word).map(([a, b]) => `registry.example.com/${a}:${b}`),
  command: fc.option(fc.array(word, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  args: fc.option(fc.array(word, { maxLength: 3 }), { nil: undefined }),
  env: fc.uniqueArray(
    fc.record({
      name: envName,
      source: fc.oneof(
        word.map((value) => ({ value })),
        fc.tuple(word, word).map(([name, key]) => ({ secret: { name, key } })),
      ),
    }),
    { selector: (e) => e.name, maxLength: 4 },
  ),
  cpuMillis: fc.option(fc.integer({ min: 10, max: 4000 }), { nil: undefined }),
  memoryMi: fc.option(fc.integer({ min: 16, max: 8192 }), { nil: undefined }),
  readinessProbe: fc.option(probe, { nil: undefined }),
  livenessProbe: fc.option(probe, { nil: undefined }),
});

const deployment = fc.record({
  name: word,
  replicas: fc.integer({ min: 0, max: 50 }),
  containers: fc.array(container, { minLength: 1, maxLength: 3 }),
  ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 6 }),
  strategy: fc.oneof(
    fc.constant({ type: 'Recreate' as const }),
    fc.record({
      type: fc.constant('RollingUpdate' as const),
      rollingUpdate: fc.record({
        maxSurge: fc.oneof(
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 1, max: 100 }).map((p) => `${p}%`),
        ),
        maxUnavailable: fc.oneof(
          fc.integer({ min: 0, max: 5 }),
          fc.integer({ min: 0, max: 100 }).map((p) => `${p}%`),
        ),
      }),
    }),
  ),
  spread: fc.option(
    fc.record({
      topologyKey: fc.constantFrom('topology.kubernetes.io/zone', 'topology.kubernetes.io/region'),
      maxSkew: fc.integer({ min: 1, max: 5 }),
      whenUnsatisfiable: fc.constantFrom('DoNotSchedule', 'ScheduleAnyway'),
    }),
    { nil: undefined },
  ),
});

type Generated = typeof deployment extends fc.Arbitrary<infer T> ? T : never;
type ProbeGen = NonNullable<Generated['containers'][number]['readinessProbe']>;

const k8sProbe = (p: ProbeGen) => ({
  ...p.action,
  periodSeconds: p.periodSeconds,
  failureThreshold: p.failureThreshold,
  initialDelaySeconds: p.initialDelaySeconds,
});

function manifest(g: Generated) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: g.name },
    spec: {
      replicas: g.replicas,
      strategy: g.strategy,
      selector: { matchLabels: { app: g.name } },
      template: {
        metadata: { labels: { app: g.name } },
        spec: {
          ...(g.spread ? { topologySpreadConstraints: [g.spread] } : {}),
          containers: g.containers.map((c, i) => ({
            name: `c${i}`,
            image: c.image,
            ...(c.command ? { command: c.command } : {}),
            ...(c.args ? { args: c.args } : {}),
            env: c.env.map((e) =>
              'value' in e.source
                ? { name: e.name, value: e.source.value }
                : { name: e.name, valueFrom: { secretKeyRef: e.source.secret } },
            ),
            // ports are spread over the containers: each number declared once in the template
            ports: g.ports.filter((_, j) => j % g.containers.length === i).map((containerPort) => ({ containerPort })),
            resources: {
              requests: {
                ...(c.cpuMillis ? { cpu: `${c.cpuMillis}m` } : {}),
                ...(c.memoryMi ? { memory: `${c.memoryMi}Mi` } : {}),
              },
            },
            ...(c.readinessProbe ? { readinessProbe: k8sProbe(c.readinessProbe) } : {}),
            ...(c.livenessProbe ? { livenessProbe: k8sProbe(c.livenessProbe) } : {}),
          })),
        },
      },
    },
  };
}

describe('a generated Deployment, converted', () => {
  it('keeps its meaning, with no warning', () => {
    fc.assert(
      fc.property(deployment, (g) => {
        const r = convertText(stringify(manifest(g)));
        expect(r.warnings).toEqual([]);
        expect(r.documents).toHaveLength(1);
        const d = parseDeployment(r.documents[0]);
        expect(d.metadata.name).toBe(g.name);
        expect(d.spec.replicas).toBe(g.replicas);
        expect(d.spec.strategy).toEqual(g.strategy);
        expect(d.spec.placement.spread).toEqual(
          g.spread ? [{ ...g.spread, topologyKey: g.spread.topologyKey.endsWith('zone') ? 'zone' : 'region' }] : [],
        );
        expect(d.spec.template.metadata?.labels).toEqual({ app: g.name });
        g.containers.forEach((c, i) => {
          const out = d.spec.template.containers[i]!;
          expect(out.image).toBe(c.image);
          expect(out.command).toEqual(c.command);
          expect(out.args).toEqual(c.args);
          expect(out.env).toEqual(
            c.env.map((e) =>
              'value' in e.source
                ? { name: e.name, value: e.source.value }
                : { name: e.name, valueFrom: { secretKeyRef: e.source.secret } },
            ),
          );
          expect(out.ports.map((p) => p.containerPort)).toEqual(
            g.ports.filter((_, j) => j % g.containers.length === i),
          );
          expect(out.resources).toEqual({
            ...(c.cpuMillis ? { cpu: `${c.cpuMillis}m` } : {}),
            ...(c.memoryMi ? { memory: `${c.memoryMi}Mi` } : {}),
          });
          for (const key of ['readinessProbe', 'livenessProbe'] as const) {
            const want = c[key];
            if (!want) {
              expect(out[key]).toBeUndefined();
              continue;
            }
            expect(out[key]).toMatchObject({
              ...k8sProbe(want),
              ...('httpGet' in want.action ? { httpGet: { ...want.action.httpGet, scheme: 'HTTP' } } : {}),
            });
          }
        });
      }),
      { numRuns: 150 },
    );
  });

  it('names a field skyfleet lacks, wherever it is, at its path', () => {
    const places: Array<Array<string | number>> = [
      ['metadata'],
      ['spec'],
      ['spec', 'template', 'spec'],
      ['spec', 'template', 'spec', 'containers', 0],
      ['spec', 'strategy'],
    ];
    fc.assert(
      fc.property(deployment, fc.constantFrom(...places), word, (g, place, key) => {
        const m = structuredClone(manifest(g)) as unknown as Record<string, unknown>;
        let obj = m as Record<string | number, unknown>;
        for (const p of place) obj = obj[p] as Record<string | number, unknown>;
        const field = `x${key}Unknown`;
        obj[field] = 'value';
        const r = convertText(stringify(m));
        expect(r.warnings.map((w) => w.path)).toEqual([[...place, field]]);
      }),
      { numRuns: 100 },
    );
  });
});
