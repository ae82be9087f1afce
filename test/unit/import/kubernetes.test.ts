import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/index.js';
import { convertText, formatWarning, loadInput, refuseWarnings } from '../../../src/import/index.js';
import { parseDeployment } from '../../../src/spec/load.js';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  labels: { app: api }
spec:
  replicas: 4
  progressDeadlineSeconds: 120
  selector: { matchLabels: { app: api } }
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  template:
    metadata:
      labels: { app: api }
    spec:
      topologySpreadConstraints:
        - { maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: { matchLabels: { app: api } } }
        - { maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule }
      containers:
        - name: api
          image: ghcr.io/acme/api:1.2.3
          command: [/api]
          args: [--port=8080]
          ports: [{ name: http, containerPort: 8080 }]
          env:
            - { name: MODE, value: prod }
            - name: TOKEN
              valueFrom: { secretKeyRef: { name: api, key: token } }
            - name: LEVEL
              valueFrom: { configMapKeyRef: { name: cfg, key: level } }
          resources:
            requests: { cpu: 250m, memory: 128Mi }
            limits: { cpu: 500m, memory: 128Mi }
          readinessProbe: { httpGet: { path: /ready, port: http }, periodSeconds: 5 }
          livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 10 }
          startupProbe: { exec: { command: [cat, /tmp/up] }, failureThreshold: 30 }
          imagePullPolicy: Always
---
apiVersion: v1
kind: Service
metadata: { name: api }
spec:
  type: LoadBalancer
  selector: { app: api }
  ports: [{ port: 80, targetPort: http }, { port: 9090, targetPort: 9090 }]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: api }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: api }
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }
    - type: Pods
      pods: { metric: { name: queue_depth }, target: { type: AverageValue, averageValue: 4 } }
  behavior:
    scaleDown: { stabilizationWindowSeconds: 60, policies: [{ type: Pods, value: 1, periodSeconds: 30 }] }
`;

const at = (r: ReturnType<typeof convertText>) => r.warnings.map(formatWarning);

describe('a Deployment, its Service and its HPA', () => {
  const r = convertText(DEPLOYMENT, { source: 'api.yaml' });
  const d = parseDeployment(r.documents[0]);

  it('becomes one skyfleet Deployment with everything it maps', () => {
    expect(r.format).toBe('kubernetes');
    expect(r.documents).toHaveLength(1);
    expect(d.metadata).toEqual({ name: 'api', labels: { app: 'api' } });
    expect(d.spec.replicas).toBe(4);
    expect(d.spec.progressDeadlineSeconds).toBe(120);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(d.spec.placement.spread).toEqual([{ topologyKey: 'zone', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' }]);
    const c = d.spec.template.containers[0]!;
    expect(c.image).toBe('ghcr.io/acme/api:1.2.3');
    expect(c.command).toEqual(['/api']);
    expect(c.args).toEqual(['--port=8080']);
    expect(c.env).toEqual([
      { name: 'MODE', value: 'prod' },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
    ]);
    expect(c.resources).toEqual({ cpu: '250m', memory: '128Mi' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/ready', port: 'http', scheme: 'HTTP' });
    expect(c.readinessProbe?.periodSeconds).toBe(5);
    expect(c.livenessProbe?.tcpSocket).toEqual({ port: 8080 });
    expect(c.livenessProbe?.initialDelaySeconds).toBe(10);
    expect(c.startupProbe?.exec?.command).toEqual(['cat', '/tmp/up']);
    expect(c.startupProbe?.failureThreshold).toBe(30);
    expect(d.spec.service).toMatchObject({ port: 80, targetPort: 'http', bindAddress: '0.0.0.0' });
    expect(d.spec.autoscaling).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [{ type: 'cpu', targetUtilization: 70 }],
    });
    expect(d.spec.autoscaling?.behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 60,
      policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }],
      selectPolicy: 'Max',
    });
  });

  it('names what it does not carry over, with the path and why', () => {
    const w = at(r);
    expect(w).toContainEqual(expect.stringMatching(/^document 1: metadata\.namespace: skyfleet has no namespaces/));
    expect(w).toContainEqual(
      expect.stringMatching(
        /^document 1: spec\.template\.spec\.topologySpreadConstraints\[1\]\.topologyKey: .*no nodes/,
      ),
    );
    expect(w).toContainEqual(
      expect.stringMatching(
        /^document 1: spec\.template\.spec\.containers\[0\]\.env\[2\]\.valueFrom\.configMapKeyRef: /,
      ),
    );
    expect(w).toContainEqual(
      expect.stringMatching(
        /^document 1: spec\.template\.spec\.containers\[0\]\.resources\.limits\.cpu: .*one cpu size/,
      ),
    );
    expect(w).toContainEqual(
      expect.stringMatching(/^document 1: spec\.template\.spec\.containers\[0\]\.imagePullPolicy: /),
    );
    expect(w).toContainEqual(
      expect.stringMatching(/^document 2: spec\.ports\[1\]: skyfleet's service has one listener/),
    );
    expect(w).toContainEqual(
      expect.stringMatching(/^document 3: spec\.metrics\[1\]\.type: .*"Pods" metric "queue_depth"/),
    );
    // equal limits and requests are one size: no warning for memory
    expect(w.filter((x) => x.includes('limits.memory'))).toEqual([]);
    expect(r.notes).toContainEqual(expect.stringContaining("the fleet's targets"));
  });

  it('--strict refuses it, naming every warning', () => {
    expect(() => refuseWarnings(r, 'api.yaml')).toThrow(ValidationError);
    expect(() => refuseWarnings(r, 'api.yaml')).toThrow(/document 1: metadata\.namespace: .*\(--strict\)/);
  });
});

describe('what Kubernetes files hold besides', () => {
  it('a List of objects: its items converted, paths through items[i]', () => {
    const list = `apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: { name: web }
    spec:
      template:
        metadata: { labels: { app: web } }
        spec: { containers: [{ name: web, image: nginx:1.27, ports: [{ containerPort: 80 }] }] }
  - apiVersion: v1
    kind: Pod
    metadata: { name: lonely }
    spec: { containers: [{ name: x, image: busybox }] }
`;
    const r = convertText(list);
    expect(r.documents.map((d) => (d.metadata as { name: string }).name)).toEqual(['web']);
    expect(at(r)).toEqual([
      expect.stringMatching(
        /^items\[1\]\.kind: kind Pod \(v1\) is not converted: .*wrap its spec in an apps\/v1 Deployment/,
      ),
    ]);
  });

  it('kinds skyfleet does not run: a warning each, never a crash, nothing applied', () => {
    const kinds = ['Pod', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Secret', 'Ingress', 'Widget'];
    const text = kinds.map((k) => `apiVersion: v1\nkind: ${k}\nmetadata: { name: x }\nspec: {}\n`).join('---\n');
    const r = convertText(text);
    expect(r.documents).toEqual([]);
    expect(r.warnings.map((w) => [w.document, w.path])).toEqual(kinds.map((_, i) => [i + 1, ['kind']]));
    expect(r.warnings[2]!.message).toContain('StatefulSet');
    expect(r.warnings[8]!.message).toContain('kind Widget (v1) is not converted');
  });

  it('a Service without its Deployment, an HPA on a metric skyfleet lacks: warnings, no crash', () => {
    const r = convertText(`apiVersion: v1
kind: Service
metadata: { name: db }
spec: { selector: { app: db }, ports: [{ port: 5432 }] }
`);
    expect(r.documents).toEqual([]);
    expect(at(r)).toEqual([
      expect.stringMatching(/^spec\.selector: Service db: no Deployment in this input has pods labelled app=db/),
    ]);
  });

  it('a targetPort number the container does not declare is declared, and said', () => {
    const r = convertText(`apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx }] }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { selector: { app: web }, ports: [{ port: 8080, targetPort: 80 }] }
`);
    const d = parseDeployment(r.documents[0]);
    expect(d.spec.template.containers[0]!.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(d.spec.service).toMatchObject({ port: 8080, targetPort: 80, bindAddress: '127.0.0.1' });
    expect(r.notes).toContainEqual(expect.stringContaining('port 80 (targetPort of Service web) is declared'));
  });

  it('apply takes skyfleet files unchanged (no conversion)', () => {
    const text = `apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web }
spec: { template: { containers: [{ name: web, image: nginx }] } }
`;
    const loaded = loadInput(text, 'web.yaml');
    expect(loaded.conversion).toBeUndefined();
    expect(loaded.deployments[0]!.metadata.name).toBe('web');
  });
});
