import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { SkyfleetError, ValidationError } from '../../../src/errors/index.js';
import { createFleet, type Fleet } from '../../../src/fleet.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { loadDocuments } from '../../../src/spec/load.js';

// The SDK's contract (issue 15): createFleet validates like a Fleet document, and every error the
// SDK throws is a SkyfleetError, also after close() and for an aborted call.

const web = (image = 'img:1', replicas = 2): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { replicas, template: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] } },
});

function setup() {
  const cloud = new MemoryCloud();
  const provider = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'mem', kind: 'memory', zones: ['a'] }),
    { fleet: 'sdk' },
    { cloud },
  );
  const fleet = createFleet({ name: 'sdk', targets: [provider], store: ':memory:' });
  return { cloud, fleet };
}

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('createFleet validates its options as a Fleet document does', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['no options', undefined, '', /expected options \{ name, targets/],
    [
      'a name a Fleet document refuses',
      { name: 'Demo Fleet!', targets: [{ name: 'm', kind: 'memory' }] },
      'name',
      /expected a fleet name/,
    ],
    ['no targets', { name: 'demo', targets: [] }, 'targets', /expected at least one target/],
    ['targets that are not a list', { name: 'demo', targets: 'mem' }, 'targets', /expected a list of targets/],
  ])('%s', async (_what, options, path, message) => {
    const e = await rejection(() => createFleet(options as never));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).issues[0]).toMatchObject({ path, message: expect.stringMatching(message) });
  });

  it('still takes Provider instances and target specs', async () => {
    const { fleet } = setup();
    await fleet.close();
    const f2 = createFleet({ name: 'demo', targets: [{ name: 'm', kind: 'memory' }], store: ':memory:' });
    await f2.close();
  });
});

describe('errors are SkyfleetErrors', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
  });

  it('migrate without a destination', async () => {
    ({ fleet } = setup());
    await fleet.apply(web());
    const e = await rejection(fleet.migrate('web', {} as never));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).issues).toEqual([{ path: '--to', message: 'name at least one destination target' }]);
  });

  it('migrate from a target the fleet does not have names it and the fleet targets', async () => {
    ({ fleet } = setup());
    await fleet.apply(web());
    const e = await rejection(fleet.migrate('web', { to: ['mem'], from: ['nope'] }));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).issues).toEqual([
      { path: '--from', message: 'target "nope" is not in fleet sdk (targets: mem)' },
    ]);
  });

  it('an aborted signal is a SkyfleetError "aborted" keeping the cause', async () => {
    ({ fleet } = setup());
    const ac = new AbortController();
    ac.abort();
    const e = await rejection(fleet.apply(web(), { signal: ac.signal }));
    expect(e).toBeInstanceOf(SkyfleetError);
    expect((e as SkyfleetError).code).toBe('aborted');
    expect((e as Error).cause).toBe(ac.signal.reason);
  });

  it('a signal aborted during apply is "aborted" too', async () => {
    const s = setup();
    fleet = s.fleet;
    s.cloud.failNext(100_000, { retryable: true });
    const ac = new AbortController();
    const p = fleet.apply(web(), { signal: ac.signal, timeoutMs: 60_000 });
    setTimeout(() => ac.abort(), 50);
    const e = await rejection(p);
    expect(e).toBeInstanceOf(SkyfleetError);
    expect((e as SkyfleetError).code).toBe('aborted');
  });

  it('every call after close() throws fleet_closed', async () => {
    const s = setup();
    await s.fleet.close();
    for (const call of [
      () => s.fleet.apply(web()),
      () => s.fleet.list(),
      () => s.fleet.status('web'),
      () => s.fleet.migrate('web', { to: ['mem'] }),
      () => s.fleet.rollout.undo('web'),
      () => s.fleet.events(),
    ]) {
      const e = await rejection(call);
      expect(e).toBeInstanceOf(SkyfleetError);
      expect(e).toMatchObject({ code: 'fleet_closed', message: expect.stringMatching(/this fleet was closed/) });
    }
    await s.fleet.close(); // twice is fine
  });

  it('close() cancels a running apply at once: it rejects with fleet_closed', async () => {
    const s = setup();
    s.cloud.failNext(100_000, { retryable: true });
    const p = s.fleet.apply(web(), { timeoutMs: 60_000 });
    p.catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await s.fleet.close();
    const e = await rejection(p);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(e).toBeInstanceOf(SkyfleetError);
    expect((e as SkyfleetError).code).toBe('fleet_closed');
  });
});

describe('errors name where a deployment came from', () => {
  it('a target not in the fleet: file, document and deployment', async () => {
    const { fleet } = setup();
    const yaml = `apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web }
spec: { template: { containers: [{ name: web, image: "img:1" }] } }
---
apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: api }
spec:
  placement: { targets: [{ name: elsewhere }] }
  template: { containers: [{ name: api, image: "img:1" }] }
`;
    const { deployments } = loadDocuments(yaml, 'web.yaml');
    const e = await rejection(fleet.plan(deployments[1]!));
    await fleet.close();
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message).toMatch(
      /web\.yaml, document 2 \(deployment api\).*\n {2}- spec\.placement\.targets\[0\]\.name: target "elsewhere" is not in fleet sdk/,
    );
  });

  it('an empty secret: names the secret and how to set it, never a value', async () => {
    const { fleet } = setup();
    process.env.SKYFLEET_SECRET_DB_PASSWORD = '';
    const d = web();
    d.spec.template.containers[0]!.env = [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }];
    const e = await rejection(fleet.apply(d));
    delete process.env.SKYFLEET_SECRET_DB_PASSWORD;
    await fleet.close();
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message).toMatch(/deployment web/);
    expect((e as Error).message).toMatch(
      /secret db\/password is empty: set the environment variable SKYFLEET_SECRET_DB_PASSWORD/,
    );
  });
});

it('rollout undo with one revision says there is nothing to undo to, blaming no flag', async () => {
  const { fleet } = setup();
  await fleet.apply(web());
  const e = await rejection(fleet.rollout.undo('web'));
  await fleet.close();
  expect(e).toBeInstanceOf(ValidationError);
  expect((e as ValidationError).issues).toEqual([
    { path: '', message: 'web has only one revision (#1): nothing to undo to' },
  ]);
  expect((e as Error).message).not.toMatch(/--to-revision/);
});

it('a budget problem found while applying names the file and document', async () => {
  const { fleet } = setup();
  const yaml = `apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: api }
spec:
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }
  template: { containers: [{ name: api, image: "img:1" }] }
`;
  const { deployments } = loadDocuments(yaml, 'api.yaml');
  const e = await rejection(fleet.apply(deployments[0]!));
  await fleet.close();
  expect(e).toBeInstanceOf(ValidationError);
  expect((e as Error).message).toMatch(
    /invalid input in api\.yaml \(deployment api\) \(1 problem\):\n {2}- spec\.strategy\.rollingUpdate: maxSurge and maxUnavailable cannot both be 0/,
  );
});
