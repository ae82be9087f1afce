import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/index.js';
import { isImageReference } from '../../../src/spec/image-ref.js';
import { loadDocuments, parseDeployment } from '../../../src/spec/load.js';

// Inputs the schema must refuse, each with the field's path and what to do (issue 15).

const base = () => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 3,
    template: { containers: [{ name: 'web', image: 'hello/web:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
  } as any,
});

function problems(mut: (d: any) => void): Array<{ path: string; message: string }> {
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

describe('image references (docker/distribution reference grammar)', () => {
  it.each([
    'hello/web:1',
    'gcr.io/shop/web:1',
    'skyfleet-test/web:2',
    'img:1',
    'nginx',
    'busybox',
    'localhost:5000/team/app:v1.2-rc_3',
    'us-docker.pkg.dev/shop-prod-123/web/web:1.4',
    'public.ecr.aws/nginx/nginx:1.27',
    'mcr.microsoft.com/azuredocs/aci-helloworld:latest',
    `nginx@sha256:${'a'.repeat(64)}`,
    `registry.example.com/a__b/c-d.e:tag@sha256:${'0f'.repeat(32)}`,
  ])('accepts %s', (ref) => {
    expect(isImageReference(ref)).toBe(true);
    expect(problems((d) => (d.spec.template.containers[0].image = ref))).toEqual([]);
  });

  it.each([
    'Not A Valid::Image Ref!!',
    'Hello/web:1',
    'web:',
    'web:-1',
    `web:${'a'.repeat(129)}`,
    'web@sha256:abc',
    'a//b',
    '/web',
    'web-',
    ' web',
  ])('refuses %j with the field path and the grammar', (ref) => {
    const p = problems((d) => (d.spec.template.containers[0].image = ref));
    expect(p).toHaveLength(1);
    expect(p[0]!.path).toBe('spec.template.containers[0].image');
    expect(p[0]!.message).toMatch(/expected an image reference \[registry\[:port\]\/\]path\[:tag\]\[@digest\]/);
  });
});

describe('ports', () => {
  it('refuses the same port number twice in one container', () => {
    const p = problems((d) => d.spec.template.containers[0].ports.push({ name: 'admin', containerPort: 8080 }));
    expect(p).toEqual([
      {
        path: 'spec.template.containers[0].ports[1].containerPort',
        message: expect.stringMatching(/port 8080\/TCP is already declared at containers\[0\]\.ports\[0\]/),
      },
    ]);
  });

  it('refuses the same port name twice across containers', () => {
    const p = problems((d) =>
      d.spec.template.containers.push({ name: 'side', image: 'img:1', ports: [{ name: 'http', containerPort: 9090 }] }),
    );
    expect(p).toEqual([
      {
        path: 'spec.template.containers[1].ports[0].name',
        message: expect.stringMatching(/port name "http" is already used at containers\[0\]\.ports\[0\]/),
      },
    ]);
  });

  it('allows one number over TCP and UDP (as Kubernetes)', () => {
    expect(problems((d) => d.spec.template.containers[0].ports.push({ containerPort: 8080, protocol: 'UDP' }))).toEqual(
      [],
    );
  });

  it('refuses a service targetPort naming an undeclared port name', () => {
    const p = problems((d) => (d.spec.service = { port: 8000, targetPort: 'web' }));
    expect(p).toEqual([
      {
        path: 'spec.service.targetPort',
        message: expect.stringMatching(/port name "web" is not declared by any container \(declared: http \(8080\)\)/),
      },
    ]);
  });

  it('refuses a service targetPort number no container declares', () => {
    const p = problems((d) => (d.spec.service = { port: 8000, targetPort: 9999 }));
    expect(p.map((x) => x.path)).toEqual(['spec.service.targetPort']);
    expect(p[0]!.message).toMatch(/port 9999 is not declared/);
  });

  it('accepts a declared targetPort by name or number', () => {
    expect(problems((d) => (d.spec.service = { port: 8000, targetPort: 'http' }))).toEqual([]);
    expect(problems((d) => (d.spec.service = { port: 8000, targetPort: 8080 }))).toEqual([]);
  });
});

describe('budgets and probes', () => {
  it('refuses maxUnavailable above 100%', () => {
    const p = problems(
      (d) => (d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '150%' } }),
    );
    expect(p).toEqual([
      { path: 'spec.strategy.rollingUpdate.maxUnavailable', message: expect.stringMatching(/at most 100%/) },
    ]);
  });

  it('keeps maxSurge above 100% and counts as they are', () => {
    expect(
      problems(
        (d) => (d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '200%', maxUnavailable: 7 } }),
      ),
    ).toEqual([]);
  });

  it('refuses a probe timeout longer than its period, saying why', () => {
    const p = problems(
      (d) =>
        (d.spec.template.containers[0].readinessProbe = {
          httpGet: { port: 'http' },
          periodSeconds: 2,
          timeoutSeconds: 5,
        }),
    );
    expect(p).toEqual([
      {
        path: 'spec.template.containers[0].readinessProbe.timeoutSeconds',
        message: expect.stringMatching(
          /timeoutSeconds 5 is greater than periodSeconds 2: a probe that outlives its period overlaps/,
        ),
      },
    ]);
  });
});

describe('durations read the schema message, not a regular expression', () => {
  it.each<[string, (d: any) => void, string]>([
    [
      'pause.duration',
      (d) => (d.spec.strategy = { type: 'Canary', canary: { steps: [{ pause: { duration: '3 days' } }] } }),
      'spec.strategy.canary.steps[0].pause.duration',
    ],
    [
      'analysis.window',
      (d) => (d.spec.strategy = { type: 'Canary', canary: { steps: [{ analysis: { window: '3 days' } }] } }),
      'spec.strategy.canary.steps[0].analysis.window',
    ],
    [
      'a negative number',
      (d) => (d.spec.strategy = { type: 'Canary', canary: { steps: [{ pause: { duration: -1 } }] } }),
      'spec.strategy.canary.steps[0].pause.duration',
    ],
  ])('%s', (_what, mut, path) => {
    const p = problems(mut);
    expect(p.map((x) => x.path)).toEqual([path]);
    expect(p[0]!.message).toMatch(/^expected a duration like 30s, 5m, 1h30m/);
    expect(p[0]!.message).not.toMatch(/pattern|\\d/);
  });

  it('progressDeadlineSeconds names its unit', () => {
    const p = problems((d) => (d.spec.progressDeadlineSeconds = '3 days'));
    expect(p).toEqual([{ path: 'spec.progressDeadlineSeconds', message: 'expected an integer 1-86400, got "3 days"' }]);
  });
});

describe('YAML documents', () => {
  const doc = (name: string) =>
    `apiVersion: skyfleet.dev/v1\nkind: Deployment\nmetadata: { name: ${name} }\nspec: { template: { containers: [{ name: web, image: "img:1" }] } }\n`;

  it('a deployment defined twice names both documents', () => {
    const e = (() => {
      try {
        loadDocuments(`${doc('web')}---\n${doc('api')}---\n${doc('web')}`, 'web.yaml');
      } catch (x) {
        return x as ValidationError;
      }
    })();
    expect(e).toBeInstanceOf(ValidationError);
    expect(e!.message).toMatch(/in web\.yaml/);
    expect(e!.issues).toEqual([
      {
        path: 'document 3: metadata.name',
        message: expect.stringMatching(/deployment "web" is defined twice, in documents 1 and 3/),
      },
    ]);
  });

  it('an alias bomb is a ValidationError naming the file and document, with YAML reason', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    ].join('\n');
    const e = (() => {
      try {
        loadDocuments(`${doc('web')}---\n${bomb}\n`, 'bomb.yaml');
      } catch (x) {
        return x;
      }
    })() as ValidationError;
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.source).toBe('bomb.yaml');
    expect(e.issues).toEqual([
      { path: 'document 2', message: expect.stringMatching(/^YAML: Excessive alias count .*more than 100 aliases/) },
    ]);
  });

  it('loaded deployments know their file and document', async () => {
    const { sourceOf } = await import('../../../src/spec/load.js');
    const { deployments } = loadDocuments(`${doc('web')}---\n${doc('api')}`, 'web.yaml');
    expect(deployments.map((d) => sourceOf(d))).toEqual([
      'web.yaml, document 1 (deployment web)',
      'web.yaml, document 2 (deployment api)',
    ]);
  });
});
