/**
 * The call log end to end, from target SPECS (what a skyfleet.yaml or `createFleet({ targets })`
 * holds), not hand-made providers: for each cloud, `createFleet({ callLog: FILE })` builds the
 * provider through the registry, the real SDK talks to the emulator behind nock, and FILE must hold
 * one line per HTTP attempt, in the schema, with target, deployment and reason filled and no
 * secret anywhere. Credentials come the way a user would give them to a spec-built provider:
 *
 * - AWS: the SDK's own environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *   AWS_SESSION_TOKEN), read by the default credential chain.
 * - Azure: DefaultAzureCredential's EnvironmentCredential (AZURE_TENANT_ID, AZURE_CLIENT_ID,
 *   AZURE_CLIENT_SECRET); the AAD token endpoint is nock'ed below (MSAL's own HTTP client, so it is
 *   not an ARM call and is not in the call log).
 * - GCP: Application Default Credentials from GOOGLE_APPLICATION_CREDENTIALS pointing at an
 *   `authorized_user` file; the OAuth token endpoint is nock'ed (gaxios, outside `auth.fetch`).
 *
 * The CLI part runs the real commander program in-process (`--call-log FILE`, then
 * `SKYFLEET_CALL_LOG`) against the ECS emulator.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { createFleet } from '../../../src/fleet.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { systemClock } from '../../../src/util/clock.js';
import { AciEmulator } from '../../emulators/aci/index.js';
import { CloudRunEmulator } from '../../emulators/cloud-run/index.js';
import { EcsEmulator, SUBNETS } from '../../emulators/ecs/index.js';

const FIELDS = [
  'body',
  'cloud',
  'deployment',
  'durationMs',
  'headers',
  'method',
  'reason',
  'status',
  'target',
  'time',
  'url',
];

// every value here must stay out of the log
const SECRETS = {
  env: 'tok-env-4d3c2b1a0f9e',
  awsAccessKey: 'AKIASPECTEST1234',
  awsSecretKey: 'aws-secret-key-0a9b8c7d6e5f',
  awsSessionToken: 'aws-session-token-1f2e3d4c5b6a',
  azureClientSecret: 'azure-client-secret-7h8i9j',
  azureAccessToken: 'azure-access-token-k1l2m3',
  acrPassword: 'acr-password-n4o5p6q7',
  gcpClientSecret: 'gcp-client-secret-r8s9t0',
  gcpRefreshToken: 'gcp-refresh-token-u1v2w3',
  gcpAccessToken: 'ya29.gcp-access-token-x4y5z6',
};

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '0f0e0d0c-0b0a-0908-0706-050403020100';

let dir: string;
const savedEnv = { ...process.env };

beforeAll(() => {
  nock.disableNetConnect();
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-calllog-'));
  // AWS: the SDK's default chain reads these first
  process.env.AWS_ACCESS_KEY_ID = SECRETS.awsAccessKey;
  process.env.AWS_SECRET_ACCESS_KEY = SECRETS.awsSecretKey;
  process.env.AWS_SESSION_TOKEN = SECRETS.awsSessionToken;
  // Azure: DefaultAzureCredential -> EnvironmentCredential (client secret)
  process.env.AZURE_TENANT_ID = TENANT;
  process.env.AZURE_CLIENT_ID = CLIENT;
  process.env.AZURE_CLIENT_SECRET = SECRETS.azureClientSecret;
  process.env.SKYFLEET_TEST_ACR_PASSWORD = SECRETS.acrPassword;
  // GCP: Application Default Credentials from a file
  const adc = join(dir, 'adc.json');
  writeFileSync(
    adc,
    JSON.stringify({
      type: 'authorized_user',
      client_id: 'skyfleet-test.apps.googleusercontent.com',
      client_secret: SECRETS.gcpClientSecret,
      refresh_token: SECRETS.gcpRefreshToken,
    }),
  );
  process.env.GOOGLE_APPLICATION_CREDENTIALS = adc;
  process.env.GOOGLE_CLOUD_PROJECT = 'skyfleet-test';
  // these files are checked on their own: the test run's log ($SKYFLEET_CALL_LOG) gets a copy of each
  delete process.env.SKYFLEET_CALL_LOG;
});

/** Appends a checked log to the test run's log, so that one holds every call of every scenario. */
function copyToRunLog(file: string) {
  const runLog = savedEnv.SKYFLEET_CALL_LOG;
  if (runLog && existsSync(file)) appendFileSync(runLog, readFileSync(file));
}

afterAll(() => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
  nock.cleanAll();
  nock.enableNetConnect();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => vi.restoreAllMocks());

// Cloud Run's secretKeyRef key is the Secret Manager version
const web = (target: string, replicas: number, cpu: string, secretKey = 'token'): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas,
    template: {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          env: [
            { name: 'MODE', value: 'prod' },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'web', key: secretKey } } },
          ],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu, memory: '512Mi' },
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
        },
      ],
    },
    placement: { targets: [{ name: target }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  },
});

interface Line {
  time: string;
  cloud: string;
  target: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  status: number | null;
  durationMs: number;
  deployment: string | null;
  reason: string;
}

/** Every line parses and has exactly the fields with their types. */
function readLog(file: string): { text: string; lines: Line[] } {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text
    .slice(0, -1)
    .split('\n')
    .map((l, i) => {
      let e: Line;
      try {
        e = JSON.parse(l);
      } catch {
        throw new Error(`line ${i + 1} does not parse: ${l.slice(0, 200)}`);
      }
      expect(Object.keys(e).sort(), `line ${i + 1}`).toEqual(FIELDS);
      expect(new Date(e.time).toISOString()).toBe(e.time);
      expect(['aws-ecs', 'azure-aci', 'gcp-cloud-run']).toContain(e.cloud);
      expect(e.method).toMatch(/^[A-Z]+$/);
      expect(() => new URL(e.url)).not.toThrow();
      expect(e.url).toMatch(/^https:\/\//);
      expect(typeof e.headers).toBe('object');
      for (const v of Object.values(e.headers)) expect(typeof v).toBe('string');
      expect(e.body === null || typeof e.body === 'object' || typeof e.body === 'string').toBe(true);
      expect(e.status === null || Number.isInteger(e.status)).toBe(true);
      expect(typeof e.durationMs === 'number' && e.durationMs >= 0).toBe(true);
      expect(e.deployment === null || typeof e.deployment === 'string').toBe(true);
      expect(typeof e.reason === 'string' && e.reason.length > 0).toBe(true);
      return e;
    });
  return { text, lines };
}

const isWrite = (e: Line) =>
  e.cloud === 'aws-ecs' ? !/\.(Describe|List)/.test(e.headers['x-amz-target'] ?? '') : e.method !== 'GET';

/** What every cloud's log must show after apply + scale + delete of `web` on `target`. */
function checkLog(file: string, cloud: string, target: string, emulatorRequests: number) {
  const { text, lines } = readLog(file);
  // one line per attempt: exactly as many as the emulator answered
  expect(lines.length).toBe(emulatorRequests);
  expect(new Set(lines.map((e) => e.cloud))).toEqual(new Set([cloud]));
  expect(new Set(lines.map((e) => e.target))).toEqual(new Set([target]));
  // every call was about `web` (the fleet's observe of one deployment included)...
  expect(lines.filter((e) => e.deployment !== 'web')).toEqual([]);
  // ...and every write was caused by a plan action: `create|scale|delete target/zone rev from->to` or delete
  const writes = lines.filter(isWrite);
  expect(writes.length).toBeGreaterThan(0);
  for (const w of writes) expect(w.reason).toMatch(/^((create|scale|delete|repair) \S+\/\S+ \S+ \d+->\d+|delete)$/);
  expect(new Set(writes.map((w) => w.reason.split(' ')[0]))).toEqual(new Set(['create', 'scale', 'delete']));
  expect(lines.some((e) => e.reason === 'observe')).toBe(true);
  // every status is a real answer here (no faults injected)
  expect(lines.filter((e) => e.status === null)).toEqual([]);
  // credentials are redacted, and no secret value appears anywhere
  // (Cloud Run's log sits in front of auth.fetch, which adds the header itself: no authorization there)
  const auth = lines.filter((e) => 'authorization' in e.headers);
  expect(auth.length).toBe(cloud === 'gcp-cloud-run' ? 0 : lines.length);
  expect(auth.filter((e) => e.headers.authorization !== '<redacted>')).toEqual([]);
  for (const [name, secret] of Object.entries(SECRETS)) expect(text.includes(secret), name).toBe(false);
  return lines;
}

async function scenario(fleet: ReturnType<typeof createFleet>, target: string, cpu: string, secretKey?: string) {
  const opts = { timeoutMs: 30_000, pollIntervalMs: 5 };
  try {
    expect((await fleet.apply(web(target, 2, cpu, secretKey), opts)).progress.ready).toBe(2);
    expect((await fleet.scale('web', 3, opts)).progress.ready).toBe(3);
    await fleet.delete('web', { timeoutMs: 30_000 });
  } finally {
    await fleet.close();
  }
}

describe('createFleet({ callLog: FILE }) with targets built from specs', () => {
  it('aws-ecs: credentials from AWS_* variables; one redacted line per attempt', async () => {
    const em = new EcsEmulator({
      clock: systemClock,
      subnets: { ...SUBNETS },
      clusters: ['skyfleet'],
      timings: { pendingAfterMs: 2, runningAfterMs: 5, healthyAfterMs: 5, stoppedAfterMs: 2, relaunchAfterMs: 50 },
    }).install();
    em.secretStores.createSecret('web', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:web-Ab12Cd');
    const file = join(dir, 'ecs.jsonl');
    try {
      const fleet = createFleet({
        name: 'specs',
        store: ':memory:',
        secrets: () => SECRETS.env,
        callLog: file,
        targets: [
          {
            name: 'aws',
            kind: 'aws-ecs',
            region: 'us-east-1',
            cluster: 'skyfleet',
            subnets: { 'us-east-1a': ['subnet-0aaa1111'], 'us-east-1b': ['subnet-0bbb2222'] },
            executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
            secrets: { web: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:web-Ab12Cd' },
          },
        ],
      });
      await scenario(fleet, 'aws', '250m');
      const lines = checkLog(
        file,
        'aws-ecs',
        'aws',
        em.log.entries.length + em.secretStores.log.entries.length, // DescribeSecret: the secret's version
      );
      expect(lines.every((e) => e.headers['x-amz-security-token'] === '<redacted>')).toBe(true);
      const ops = new Set(lines.map((e) => e.headers['x-amz-target']?.split('.')[1]));
      for (const op of ['RegisterTaskDefinition', 'CreateService', 'UpdateService', 'DeleteService'])
        expect(ops).toContain(op);
    } finally {
      copyToRunLog(file);
      em.uninstall();
    }
  });

  it('azure-aci: DefaultAzureCredential from AZURE_* variables; secureValue and registry passwords (env and secretKeyRef) redacted', async () => {
    let tokens = 0;
    const aad = nock('https://login.microsoftonline.com')
      .persist()
      .get(/.*/)
      .reply(200, (uri) =>
        uri.includes('discovery/instance')
          ? {
              tenant_discovery_endpoint: `https://login.microsoftonline.com/${TENANT}/v2.0/.well-known/openid-configuration`,
              'api-version': '1.1',
              metadata: [
                {
                  preferred_network: 'login.microsoftonline.com',
                  preferred_cache: 'login.windows.net',
                  aliases: ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com'],
                },
              ],
            }
          : {
              token_endpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
              issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
              authorization_endpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/authorize`,
              end_session_endpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/logout`,
              jwks_uri: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
              response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
              subject_types_supported: ['pairwise'],
              id_token_signing_alg_values_supported: ['RS256'],
              scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
            },
      )
      .post(/oauth2\/v2\.0\/token/)
      .reply(200, () => {
        tokens++;
        return { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: SECRETS.azureAccessToken };
      });
    const em = new AciEmulator({ clock: systemClock, provisionMs: 5, deleteMs: 5 });
    em.install();
    const file = join(dir, 'aci.jsonl');
    try {
      const fleet = createFleet({
        name: 'specs',
        store: ':memory:',
        secrets: () => SECRETS.env,
        callLog: file,
        targets: [
          {
            name: 'azure',
            kind: 'azure-aci',
            subscriptionId: em.subscriptionId,
            resourceGroup: 'skyfleet-rg',
            location: 'eastus',
            zones: ['1', '2'],
            updateIntervalInMs: 0,
            registryCredentials: [
              {
                server: 'skyfleet.azurecr.io',
                username: 'puller',
                passwordFrom: { env: 'SKYFLEET_TEST_ACR_PASSWORD' },
              },
              {
                server: 'mirror.azurecr.io',
                username: 'puller',
                passwordFrom: { secretKeyRef: { name: 'acr', key: 'puller' } },
              },
            ],
          },
        ],
      });
      await scenario(fleet, 'azure', '500m');
      const lines = checkLog(file, 'azure-aci', 'azure', em.log.entries.length);
      const puts = lines.filter((e) => e.method === 'PUT');
      expect(puts.length).toBeGreaterThan(0);
      const text = JSON.stringify(puts);
      expect(text).toContain('"secureValue":"<redacted>"');
      expect(text.match(/"password":"<redacted>"/g)?.length).toBeGreaterThanOrEqual(2);
      expect(tokens).toBeGreaterThan(0); // the credential really came from AZURE_* through AAD
      // what ACI was sent: both passwords, the secretKeyRef one through the fleet's resolver (the
      // CLI's is SKYFLEET_SECRET_<NAME>_<KEY>), as for the containers' secrets
      const sent = em.log.entries
        .filter((e) => e.method === 'PUT')
        .flatMap(
          (e) =>
            (e.body as { properties?: { imageRegistryCredentials?: Array<{ server: string; password?: string }> } })
              ?.properties?.imageRegistryCredentials ?? [],
        );
      expect(sent.length).toBeGreaterThan(0);
      expect(new Set(sent.map((r) => `${r.server}=${r.password}`))).toEqual(
        new Set([`skyfleet.azurecr.io=${SECRETS.acrPassword}`, `mirror.azurecr.io=${SECRETS.env}`]),
      );
    } finally {
      copyToRunLog(file);
      em.uninstall();
      aad.persist(false);
      nock.cleanAll();
    }
  });

  it('gcp-cloud-run: Application Default Credentials from GOOGLE_APPLICATION_CREDENTIALS', async () => {
    let tokens = 0;
    const oauth = nock('https://oauth2.googleapis.com')
      .persist()
      .post('/token')
      .reply(200, () => {
        tokens++;
        return { access_token: SECRETS.gcpAccessToken, expires_in: 3599, token_type: 'Bearer' };
      });
    const em = new CloudRunEmulator({ clock: systemClock, revisionReadyMs: 10, routeMs: 5, deleteMs: 5 });
    em.install();
    em.secretManager.addVersion('skyfleet-test', 'web');
    const file = join(dir, 'run.jsonl');
    try {
      const fleet = createFleet({
        name: 'specs',
        store: ':memory:',
        secrets: () => SECRETS.env,
        callLog: file,
        targets: [
          { name: 'gcr', kind: 'gcp-cloud-run', project: 'skyfleet-test', region: 'us-central1', pollIntervalMs: 5 },
        ],
      });
      await scenario(fleet, 'gcr', '1', 'latest');
      const lines = checkLog(
        file,
        'gcp-cloud-run',
        'gcr',
        em.log.entries.length + em.secretManager.log.entries.length, // which version `latest` is
      );
      expect(new Set(lines.map((e) => e.method))).toEqual(new Set(['GET', 'POST', 'PATCH', 'DELETE']));
      expect(tokens).toBeGreaterThan(0); // the credential really came from the ADC file
    } finally {
      copyToRunLog(file);
      em.uninstall();
      oauth.persist(false);
      nock.cleanAll();
    }
  });
});

describe('the CLI passes --call-log / $SKYFLEET_CALL_LOG to createFleet', () => {
  it('apply with --call-log FILE, scale and delete with SKYFLEET_CALL_LOG: one file, every attempt', async () => {
    const em = new EcsEmulator({
      clock: systemClock,
      subnets: { ...SUBNETS },
      clusters: ['skyfleet'],
      timings: { pendingAfterMs: 2, runningAfterMs: 5, healthyAfterMs: 5, stoppedAfterMs: 2, relaunchAfterMs: 50 },
    }).install();
    em.secretStores.createSecret('web', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:web-Ab12Cd');
    const ems = () => em.log.entries.length + em.secretStores.log.entries.length;
    const config = join(dir, 'skyfleet.yaml');
    writeFileSync(
      config,
      [
        'apiVersion: skyfleet.dev/v1',
        'kind: Fleet',
        'metadata: { name: cli }',
        'targets:',
        '  - name: aws',
        '    kind: aws-ecs',
        '    region: us-east-1',
        '    cluster: skyfleet',
        '    subnets: { us-east-1a: [subnet-0aaa1111] }',
        '    executionRoleArn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
        '    secrets: { web: "arn:aws:secretsmanager:us-east-1:123456789012:secret:web-Ab12Cd" }',
        '',
      ].join('\n'),
    );
    const deployment = join(dir, 'web.yaml');
    writeFileSync(deployment, JSON.stringify(web('aws', 1, '250m')));
    const file = join(dir, 'cli.jsonl');
    const store = join(dir, 'cli.db');
    process.env.SKYFLEET_SECRET_WEB_TOKEN = SECRETS.env;
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const run = (args: string[]) =>
      buildProgram().parseAsync(['node', 'skyfleet', '--config', config, '--store', store, '-o', 'json', ...args]);
    try {
      await run(['--call-log', file, 'apply', '-f', deployment, '--timeout', '30s']);
      const afterApply = readLog(file).lines.length;
      expect(afterApply).toBe(ems());
      process.env.SKYFLEET_CALL_LOG = file;
      await run(['scale', 'web', '--replicas', '2', '--timeout', '30s']);
      await run(['delete', 'web']);
      const { text, lines } = readLog(file);
      expect(lines.length).toBe(ems());
      expect(lines.length).toBeGreaterThan(afterApply);
      expect(new Set(lines.map((e) => `${e.cloud} ${e.target}`))).toEqual(new Set(['aws-ecs aws']));
      const reasons = new Set(lines.filter(isWrite).map((e) => e.reason.split(' ')[0]));
      expect(reasons).toEqual(new Set(['create', 'scale', 'delete']));
      for (const [name, secret] of Object.entries(SECRETS)) expect(text.includes(secret), name).toBe(false);
    } finally {
      delete process.env.SKYFLEET_CALL_LOG;
      copyToRunLog(file);
      em.uninstall();
    }
  });
});
