import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TAGS } from '../../../providers/azure-aci/index.js';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { MemoryCallLog } from '../../../src/calllog/index.js';
import { createFleet } from '../../../src/fleet.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { AciEmulator, aciProvider } from '../../emulators/aci/index.js';

// A hybrid fleet through the public facade: a local (memory) target and an ACI target backed by the
// real SDK client against the emulator.
const FLEET = 'hybrid';
const RG = 'skyfleet-rg';
const SECRET = 'tok-9f8e7d6c5b4a';
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

const web = (image: string, replicas: number, cpu = '500m'): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas,
    template: {
      containers: [
        {
          name: 'web',
          image,
          env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'web', key: 'token' } } }],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu, memory: '512Mi' },
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
        },
      ],
    },
    placement: { targets: [{ name: 'local', min: 1, max: 1 }, { name: 'azure' }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  },
});

it('places, rolls out (including a replacement-forcing change), scales, deletes; a re-apply writes nothing', async () => {
  const callLog = new MemoryCallLog();
  const local = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'local', kind: 'memory', provider: 'docker', zones: ['laptop'] }),
    { fleet: FLEET },
    { cloud: new MemoryCloud() },
  );
  const azure = aciProvider(em, FLEET, { zones: ['1', '2'] }, { callLog });
  const fleet = createFleet({ name: FLEET, targets: [local, azure], store: ':memory:', secrets: () => SECRET });
  const opts = { timeoutMs: 20_000, pollIntervalMs: 5 };
  const azureGroups = () => em.names(RG);
  const revisions = () => new Set([...em.groups.values()].map((g) => g.tags[TAGS.revision]));
  try {
    // placement: 1 local, the rest over the two ACI zones
    const first = await fleet.apply(web('app:1', 5), opts);
    expect(first.progress.ready).toBe(5);
    const byTarget = (t: string) =>
      first.placement.assignments.filter((a) => a.target === t).reduce((n, a) => n + a.replicas, 0);
    expect([byTarget('local'), byTarget('azure')]).toEqual([1, 4]);
    expect(azureGroups()).toHaveLength(4);
    expect(new Set([...em.groups.values()].map((g) => g.zones?.[0]))).toEqual(new Set(['1', '2']));

    // re-apply: zero writes, and no write request reached ARM
    let mark = em.log.mark();
    const again = await fleet.apply(web('app:1', 5), opts);
    expect(again.writes).toBe(0);
    expect(em.log.writes(mark)).toEqual([]);

    // rolling update of the image: a new revision, new groups, the old ones deleted
    const roll = await fleet.apply(web('app:2', 5), opts);
    expect(roll.revision).not.toBe(first.revision);
    expect(revisions()).toEqual(new Set([roll.revision]));
    expect(azureGroups()).toHaveLength(4);

    // a change ACI cannot make in place (cpu): rolled out the same way, never as an in-place PUT
    mark = em.log.mark();
    const cpu = await fleet.apply(web('app:2', 5, '1'), opts);
    expect(revisions()).toEqual(new Set([cpu.revision]));
    expect(em.log.since(mark).filter((e) => e.status === 409)).toEqual([]);
    const status = await fleet.status('web');
    expect(status).toMatchObject({ replicas: 5, ready: 5, current: 5 });

    // scale: 1 local stays, azure grows then shrinks
    await fleet.scale('web', 7, opts);
    expect(azureGroups()).toHaveLength(6);
    await fleet.scale('web', 3, opts);
    expect(azureGroups()).toHaveLength(2);
    mark = em.log.mark();
    expect((await fleet.apply(web('app:2', 3, '1'), opts)).writes).toBe(0);
    expect(em.log.writes(mark)).toEqual([]);

    // delete: nothing left in the resource group
    await fleet.delete('web');
    expect(azureGroups()).toEqual([]);

    expect(JSON.stringify(callLog.entries)).not.toContain(SECRET);
    expect(callLog.entries.some((e) => e.reason !== 'observe' && e.deployment === 'web')).toBe(true);
    expect(em.violations.problems).toEqual([]);
  } finally {
    await fleet.close();
  }
});
