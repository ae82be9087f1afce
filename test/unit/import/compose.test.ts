import { describe, expect, it } from 'vitest';
import { convertText, formatWarning } from '../../../src/import/index.js';
import { parseDeployment } from '../../../src/spec/load.js';

const COMPOSE = `version: "3.8"
services:
  web:
    image: ghcr.io/acme/web:2.0
    entrypoint: /bin/web
    command: ["--listen", ":8080"]
    ports:
      - "127.0.0.1:8080:8080"
      - "9090:9090"
    environment:
      MODE: prod
      WORKERS: 4
      FROM_SHELL:
    env_file: web.env
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8080/health"]
      interval: 15s
      timeout: 5s
      retries: 4
      start_period: 1m
    deploy:
      replicas: 3
      resources:
        limits: { cpus: "0.5", memory: 256M }
      update_config:
        parallelism: 2
        order: start-first
        delay: 10s
    depends_on:
      db:
        condition: service_healthy
    secrets: [api-key]
    volumes: [./data:/data]
  db:
    image: postgres:16
    command: postgres -c 'max_connections=200'
    expose: ["5432"]
    deploy:
      update_config: { parallelism: 1 }
  worker:
    build: ./worker
secrets:
  api-key:
    file: ./api-key.txt
volumes:
  data: {}
x-common: { a: 1 }
`;

const files: Record<string, string> = { 'web.env': '# comment\nFROM_FILE=yes\nMODE=overridden-by-environment\n' };

describe('a Compose file', () => {
  const r = convertText(COMPOSE, { source: 'compose.yaml', readRelative: (p) => files[p] });
  const byName = new Map(r.documents.map((d) => [(d.metadata as { name: string }).name, parseDeployment(d)]));
  const w = r.warnings.map(formatWarning);

  it('becomes a deployment per service with an image, in depends_on order', () => {
    expect(r.format).toBe('compose');
    expect([...byName.keys()]).toEqual(['db', 'web']);
    expect(r.notes).toContainEqual(expect.stringContaining('deployment web comes after db (depends_on)'));
  });

  it('maps image, replicas, ports, environment and env_file, healthcheck, resources, update_config, command', () => {
    const web = byName.get('web')!;
    const c = web.spec.template.containers[0]!;
    expect(c.image).toBe('ghcr.io/acme/web:2.0');
    expect(c.command).toEqual(['/bin/web']);
    expect(c.args).toEqual(['--listen', ':8080']);
    expect(web.spec.replicas).toBe(3);
    expect(c.ports.map((p) => p.containerPort)).toEqual([8080, 9090]);
    expect(web.spec.service).toMatchObject({ port: 8080, targetPort: 8080, bindAddress: '127.0.0.1' });
    expect(c.env).toEqual([
      { name: 'FROM_FILE', value: 'yes' },
      { name: 'MODE', value: 'prod' },
      { name: 'WORKERS', value: '4' },
      { name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'api-key', key: 'value' } } },
    ]);
    expect(c.readinessProbe).toMatchObject({
      exec: { command: ['curl', '-f', 'http://localhost:8080/health'] },
      periodSeconds: 15,
      timeoutSeconds: 5,
      failureThreshold: 4,
      initialDelaySeconds: 60,
    });
    expect(c.resources).toEqual({ cpu: '0.5', memory: '256Mi' });
    expect(web.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 0 } });
    const db = byName.get('db')!;
    expect(db.spec.template.containers[0]!.args).toEqual(['postgres', '-c', 'max_connections=200']);
    expect(db.spec.template.containers[0]!.ports).toEqual([{ containerPort: 5432, protocol: 'TCP' }]);
    expect(db.spec.service).toBeUndefined();
    expect(db.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
  });

  it('names the rest with its path and why', () => {
    expect(w).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^services\.web\.environment\.FROM_SHELL: FROM_SHELL has no value: Compose takes it from the shell/,
        ),
        expect.stringMatching(/^services\.web\.ports\[1\]: skyfleet's service has one listener, on port 8080/),
        expect.stringMatching(/^services\.web\.deploy\.update_config\.delay: /),
        expect.stringMatching(/^services\.web\.secrets\[0\]: secret api-key is the environment variable API_KEY/),
        expect.stringMatching(/^services\.web\.volumes: skyfleet runs stateless replicas/),
        expect.stringMatching(
          /^services\.worker\.build: service worker is built from source \(build:\) and names no image/,
        ),
        expect.stringMatching(
          /^secrets\.api-key: skyfleet reads secret api-key at apply from SKYFLEET_SECRET_API_KEY_VALUE/,
        ),
        expect.stringMatching(/^volumes\.data: /),
        expect.stringMatching(/^x-common: an extension field/),
      ]),
    );
    expect(r.notes).toContainEqual(expect.stringContaining('version "3.8" is informational'));
  });

  it('a missing env_file is a warning, not a crash', () => {
    const r2 = convertText(COMPOSE, { readRelative: () => undefined });
    expect(r2.warnings.map(formatWarning)).toContainEqual(
      expect.stringMatching(/^services\.web\.env_file: env file "web\.env" could not be read/),
    );
  });

  it('version 2 files: scale, mem_limit and cpus', () => {
    const r2 = convertText(`version: "2.4"
services:
  app:
    image: redis:7
    scale: 2
    mem_limit: 1g
    cpus: 0.25
    healthcheck: { test: "redis-cli ping", interval: 1m30s, timeout: 10s }
`);
    const d = parseDeployment(r2.documents[0]);
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.containers[0]!.resources).toEqual({ cpu: 0.25, memory: '1Gi' });
    expect(d.spec.template.containers[0]!.readinessProbe).toMatchObject({
      exec: { command: ['/bin/sh', '-c', 'redis-cli ping'] },
      periodSeconds: 90,
      timeoutSeconds: 10,
    });
    expect(r2.warnings).toEqual([]);
  });
});
