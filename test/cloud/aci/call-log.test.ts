import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CallLogEntry, MemoryCallLog, REDACTED } from '../../../src/calllog/index.js';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { AciEmulator, aciProvider } from '../../emulators/aci/index.js';

const SECRET = 'correct-horse-battery-staple';
const REGISTRY_PASSWORD = 'registry-pa55word-value';
let em: AciEmulator;

beforeAll(() => {
  nock.disableNetConnect();
  em = new AciEmulator();
  em.install();
});
afterAll(() => {
  em.uninstall();
  nock.enableNetConnect();
});

const template = (image: string): PodTemplate => ({
  containers: [
    {
      name: 'web',
      image,
      env: [{ name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'api', key: 'key' } } }],
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
      resources: { cpu: 1, memory: '1Gi' },
    },
  ],
});
const slice = (image: string, replicas: number): DesiredSlice => ({
  key: { fleet: 'logged', deployment: 'web', revision: 'r1', zone: 'eastus-1' },
  replicas,
  template: template(image),
  secrets: { API_KEY: SECRET },
});

/** `PUT group:logged-web-r1-z1-0`, `GET op`, ... with consecutive repeats (polls) collapsed. */
function shape(entries: readonly CallLogEntry[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const path = new URL(e.url).pathname;
    const kind = /\/operations\//.test(path)
      ? 'op'
      : /\/operationResults\//.test(path)
        ? 'opresult'
        : /\/containerGroups$/.test(path)
          ? 'list'
          : `group:${path.split('/').pop()}`;
    const line = `${e.method} ${kind}`;
    if (out[out.length - 1] !== line) out.push(line);
  }
  return out;
}

it('create, update, scale, delete produce exactly the expected calls, one line per attempt, with no secret', async () => {
  process.env.SKYFLEET_TEST_ACR_PASSWORD = REGISTRY_PASSWORD;
  const log = new MemoryCallLog();
  const p = aciProvider(
    em,
    'logged',
    {
      concurrency: 1,
      registryCredentials: [
        { server: 'acme.azurecr.io', username: 'acme', passwordFrom: { env: 'SKYFLEET_TEST_ACR_PASSWORD' } },
      ],
    },
    { callLog: log },
  );
  const g = (n: number) => `group:logged-web-r1-z1-${n}`;
  const step = async (fn: () => Promise<unknown>) => {
    const from = log.entries.length;
    await fn();
    return log.entries.slice(from);
  };

  // ARM lists lag writes (6 s here, twice the provisioning time; each operation poll is 1 s): a
  // group the list does not show is read by name before it is created, and a group this provider
  // wrote that the list does not show as written yet is read by name instead of listed
  const created = await step(() => p.apply(slice('app:1', 2), { reason: 'create' }));
  expect(shape(created)).toEqual([
    'GET list',
    `GET ${g(0)}`, // 404: not there yet
    `GET ${g(1)}`,
    `PUT ${g(0)}`,
    'GET op',
    `GET ${g(0)}`,
    `PUT ${g(1)}`,
    'GET op',
    `GET ${g(1)}`,
  ]);
  const updated = await step(() => p.apply(slice('app:2', 2), { reason: 'update' }));
  expect(shape(updated)).toEqual([
    'GET list',
    `GET ${g(1)}`, // created 3 s ago: not in the list yet
    `PUT ${g(0)}`,
    'GET op',
    `GET ${g(0)}`,
    `PUT ${g(1)}`,
    'GET op',
    `GET ${g(1)}`,
  ]);
  const up = await step(() => p.apply(slice('app:2', 3), { reason: 'scale' }));
  // g1's update is not in the list yet; g2 is read before it is created
  expect(shape(up)).toEqual(['GET list', `GET ${g(1)}`, `GET ${g(2)}`, `PUT ${g(2)}`, 'GET op', `GET ${g(2)}`]);
  const down = await step(() => p.apply(slice('app:2', 1), { reason: 'scale' }));
  expect(shape(down)).toEqual([
    'GET list',
    `GET ${g(2)}`, // created 3 s ago
    `DELETE ${g(1)}`,
    'GET opresult',
    `DELETE ${g(2)}`,
    'GET opresult',
  ]);
  const removed = await step(() => p.remove(slice('app:2', 1).key, { reason: 'delete' }));
  expect(shape(removed)).toEqual(['GET list', `DELETE ${g(0)}`, 'GET opresult']);

  // every line: the cloud, target, deployment, reason, full URL with api-version, a status
  for (const [entries, reason] of [
    [created, 'create'],
    [updated, 'update'],
    [up, 'scale'],
    [down, 'scale'],
    [removed, 'delete'],
  ] as const) {
    for (const e of entries) {
      expect(e).toMatchObject({ cloud: 'azure-aci', target: 'azure', deployment: 'web', reason });
      expect(e.url).toMatch(/^https:\/\/management\.azure\.com\/subscriptions\/.+\?api-version=2023-05-01/);
      expect(typeof e.status).toBe('number');
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
  }
  const put = created.find((e) => e.method === 'PUT')!;
  expect(put.status).toBe(201);
  expect(put.headers.authorization).toBe(REDACTED);
  const body = put.body as {
    properties: {
      containers: Array<{ properties: { environmentVariables: unknown[] } }>;
      imageRegistryCredentials: unknown[];
    };
  };
  expect(body.properties.containers[0]!.properties.environmentVariables).toEqual([
    { name: 'API_KEY', secureValue: REDACTED },
  ]);
  expect(body.properties.imageRegistryCredentials).toEqual([
    { server: 'acme.azurecr.io', username: 'acme', password: REDACTED },
  ]);

  // a throttled call appears once per attempt, each with its status
  em.faults.failNext(2, { status: 429, code: 'TooManyRequests', message: 'throttled', retryAfterSeconds: 0 });
  const observed = await step(() => p.observe({ fleet: 'logged' }));
  expect(observed.filter((e) => /\/containerGroups$/.test(new URL(e.url).pathname)).map((e) => e.status)).toEqual([
    429, 429, 200,
  ]);
  expect(observed.every((e) => e.reason === 'observe' && e.deployment === null)).toBe(true);

  const text = JSON.stringify(log.entries);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(REGISTRY_PASSWORD);
  expect(text).not.toContain('fake-arm-token');
  // the emulator did receive them (the call log is what is redacted)
  expect(JSON.stringify(em.log.entries.map((e) => e.body))).toContain(SECRET);
  expect(em.violations.problems).toEqual([]);
});
