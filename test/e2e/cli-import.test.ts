// `skyfleet convert -f` and `apply -f` with a Kubernetes manifest and a Compose file, as a user
// runs them (the built CLI, memory targets, a file store in a temp dir).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, skyfleet, skyfleetJson } from '../helpers/cli.js';

const CORPUS = process.env.SKYFLEET_CORPUS ?? '/work/shared/corpus';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-cli-import-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'skyfleet.yaml'),
    'apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: demo }\ntargets:\n  - { name: lab, kind: memory, zones: [a, b] }\n',
  );
  return dir;
}

const K8S = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{ containerPort: 8080 }]
          env: [{ name: MODE, value: prod }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { selector: { app: web }, ports: [{ port: 18080, targetPort: 8080 }] }
`;

type Described = {
  spec: { spec: { replicas: number; service?: { port: number }; template: { containers: Array<{ image: string }> } } };
};

describe('skyfleet convert and apply -f with a Kubernetes manifest', () => {
  it('convert prints skyfleet YAML and the warnings; --strict refuses it (exit 2)', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'k8s.yaml'), K8S);
    const r = await skyfleet(dir, 'convert', '-f', 'k8s.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('apiVersion: skyfleet.dev/v1');
    expect(r.stdout).toMatch(/service:\n\s+port: 18080\n\s+targetPort: 8080/);
    expect(r.stderr).toContain('warning: document 1: metadata.namespace: skyfleet has no namespaces');
    const strict = await skyfleet(dir, 'convert', '-f', 'k8s.yaml', '--strict');
    expect(strict.code).toBe(2);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toContain('document 1: metadata.namespace');
    const strictApply = await skyfleet(dir, 'apply', '-f', 'k8s.yaml', '--strict');
    expect(strictApply.code).toBe(2);
    expect((await skyfleet(dir, 'get')).stdout).not.toMatch(/^web\s/m);
  });

  it('apply -f takes it directly: the deployment runs with what the manifest says', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'k8s.yaml'), K8S);
    const r = await skyfleet(dir, 'apply', '-f', 'k8s.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/deployment\/web converged: revision [0-9a-f]+, ready 2\/2/);
    expect(r.stderr).toContain('k8s.yaml is a Kubernetes manifest: converted');
    const d = await skyfleetJson<Described>(dir, 'describe', 'deployment', 'web');
    expect(d.spec.spec.replicas).toBe(2);
    expect(d.spec.spec.service?.port).toBe(18080);
    const del = await skyfleet(dir, 'delete', '-f', 'k8s.yaml');
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toContain('deployment/web deleted');
  });
});

describe('skyfleet convert and apply -f with a Compose file', () => {
  it('a Compose file of the corpus: converted and planned, in depends_on order', async () => {
    const dir = folder();
    writeFileSync(
      join(dir, 'compose.yaml'),
      readFileSync(join(CORPUS, 'awesome-compose/wordpress-mysql.yaml'), 'utf8'),
    );
    const converted = await skyfleet(dir, 'convert', '-f', 'compose.yaml', '-o', 'json');
    expect(converted.code, converted.stderr).toBe(0);
    const json = JSON.parse(converted.stdout) as { format: string; documents: Array<{ metadata: { name: string } }> };
    expect(json.format).toBe('compose');
    expect(json.documents.map((d) => d.metadata.name)).toEqual(['db', 'wordpress']);
    const plan = await skyfleet(dir, 'plan', '-f', 'compose.yaml');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('deployment/db: revision (none) ->');
    expect(plan.stderr).toContain('warning: services.db.volumes');
  });

  it('apply -f: a Compose service runs with its image, replicas and env_file', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'app.env'), 'GREETING=hello\n');
    writeFileSync(
      join(dir, 'compose.yaml'),
      'services:\n  api:\n    image: ghcr.io/acme/api:1\n    env_file: app.env\n    ports: ["18081:8080"]\n    deploy: { replicas: 3 }\n',
    );
    const r = await skyfleet(dir, 'apply', '-f', 'compose.yaml', '--strict');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/deployment\/api converged: revision [0-9a-f]+, ready 3\/3/);
    const d = await skyfleetJson<
      Described & { spec: { spec: { template: { containers: Array<{ env: unknown[] }> } } } }
    >(dir, 'describe', 'deployment', 'api');
    expect(d.spec.spec.template.containers[0]!.env).toEqual([{ name: 'GREETING', value: 'hello' }]);
    expect(d.spec.spec.service?.port).toBe(18081);
  });
});
