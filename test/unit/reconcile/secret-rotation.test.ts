import { describe, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { createFleet } from '../../../src/fleet.js';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import { desiredRevision, secretsDigest } from '../../../src/reconcile/desired-revision.js';
import type { SecretRef } from '../../../src/reconcile/secrets.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { parseDeployment } from '../../../src/spec/load.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { openStore } from '../../../src/store/index.js';

// Issue 19: a rotated secret value must reach every platform. The revision id of a template with
// secret references includes a keyed hash (HMAC, the store's key) of the values, never the values.

const web = (withSecret = true): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 2,
    template: {
      containers: [
        {
          name: 'web',
          image: 'img:1',
          env: withSecret
            ? [
                { name: 'MODE', value: 'prod' },
                { name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
              ]
            : [{ name: 'MODE', value: 'prod' }],
        },
      ],
    },
  },
});

function setup() {
  const values = new Map<string, string>([['db/password', 'hunter2']]);
  const provider = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'mem', kind: 'memory', zones: ['a'] }),
    { fleet: 'rot' },
    { cloud: new MemoryCloud() },
  );
  // what the platform was given, per revision
  const given: Array<{ revision: string; pw: string | undefined }> = [];
  const apply = provider.apply.bind(provider);
  provider.apply = (s: DesiredSlice, ...rest: unknown[]) => {
    given.push({ revision: s.key.revision, pw: s.secrets?.PW });
    return (apply as (...a: unknown[]) => ReturnType<typeof apply>)(s, ...rest);
  };
  const fleet = createFleet({
    name: 'rot',
    targets: [provider],
    store: ':memory:',
    secrets: (ref: SecretRef) => values.get(`${ref.name}/${ref.key}`),
  });
  return { fleet, values, given, provider };
}

describe('a rotated secret value', () => {
  it('is a new revision that rolls out with the new value; the same value changes nothing', async () => {
    const { fleet, values, given, provider } = setup();
    try {
      await fleet.apply(web(), { timeoutMs: 20_000 });
      const r1 = (await fleet.get('web'))!.revision;
      expect(given.filter((g) => g.revision === r1).map((g) => g.pw)).toContain('hunter2');

      // the same value again: the same revision, no rollout
      await fleet.apply(web(), { timeoutMs: 20_000 });
      expect((await fleet.get('web'))!.revision).toBe(r1);
      expect((await fleet.events({ deployment: 'web' })).filter((e) => e.reason === 'RevisionChanged')).toEqual([]);
      expect((await fleet.plan(web())).revision).toBe(r1);

      values.set('db/password', 'correct horse');
      // plan says so before anything changes
      const planned = (await fleet.plan(web())).revision;
      expect(planned).not.toBe(r1);
      await fleet.apply(web(), { timeoutMs: 20_000 });
      const r2 = (await fleet.get('web'))!.revision;
      expect(r2).toBe(planned);
      expect(given.filter((g) => g.revision === r2).map((g) => g.pw)).toContain('correct horse');
      const observed = await provider.observe({ fleet: 'rot', deployment: 'web' });
      expect(observed.map((s) => [s.key.revision, s.ready])).toEqual([[r2, 2]]);
      // the value is nowhere in what skyfleet records
      const recorded = JSON.stringify([
        await fleet.get('web'),
        await fleet.history('web'),
        await fleet.events({ deployment: 'web' }),
      ]);
      expect(recorded).not.toContain('hunter2');
      expect(recorded).not.toContain('correct horse');
    } finally {
      await fleet.close();
    }
  });

  it('a template without secret references keeps the revision of its template alone', async () => {
    const { fleet } = setup();
    try {
      await fleet.apply(web(false), { timeoutMs: 20_000 });
      expect((await fleet.get('web'))!.revision).toBe(revisionOf(parseDeployment(web(false)).spec.template));
    } finally {
      await fleet.close();
    }
  });

  it('is hashed with the store key: the same value in another store is another revision', async () => {
    const parsed = parseDeployment(web());
    const template = parsed.spec.template;
    const secrets = () => 'hunter2';
    const providers = new Map();
    const [a, b] = await Promise.all([openStore(':memory:'), openStore(':memory:')]);
    try {
      const ra = await desiredRevision({ store: a, secrets, providers }, parsed);
      expect(await desiredRevision({ store: a, secrets, providers }, parsed)).toBe(ra);
      expect(await desiredRevision({ store: b, secrets, providers }, parsed)).not.toBe(ra);
      // a keyed hash: not derivable from the value without the key
      const key = await a.secretKey();
      expect(key).toHaveLength(32);
      expect(secretsDigest(key, { PW: 'hunter2' })).not.toBe(secretsDigest(Buffer.alloc(32), { PW: 'hunter2' }));
      expect(ra).toBe(revisionOf(template, secretsDigest(key, { PW: 'hunter2' })));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
