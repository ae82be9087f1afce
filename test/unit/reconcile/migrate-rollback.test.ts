// fleet.migrate undoes itself when the destination never becomes ready: a MigrationRolledBack
// event, the stored placement back, and the replicas back on the source, none left behind.
import { afterEach, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { createFleet, type Fleet } from '../../../src/fleet.js';

const FLEET = 'unit';
let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
});

it('a destination that never becomes ready: rolled back, the deployment where it was', async () => {
  const cloud = new MemoryCloud();
  const mk = (name: string, readyAfterSeconds = 0) =>
    new MemoryProvider(
      memoryTargetSettings.parse({ name, kind: 'memory', zones: ['a'], readyAfterSeconds }),
      { fleet: FLEET },
      { cloud },
    );
  fleet = createFleet({ name: FLEET, targets: [mk('lab'), mk('slow', 3600)], store: ':memory:' });
  await fleet.apply({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      template: { containers: [{ name: 'web', image: 'img:1' }] },
      placement: { targets: [{ name: 'lab' }] },
    },
  });
  const before = (await fleet.get('web'))!;

  await expect(fleet.migrate('web', { to: ['slow'] }, { timeoutMs: 1_000 })).rejects.toThrow();

  const reasons = (await fleet.events({ deployment: 'web' })).map((e) => e.reason);
  expect(reasons).toContain('MigrationRolledBack');
  expect(reasons).not.toContain('MigrationCompleted');
  const after = (await fleet.get('web'))!;
  expect(after.spec.spec.placement.targets).toEqual(before.spec.spec.placement.targets);
  expect(after.revision).toBe(before.revision);
  // the replicas: 2 ready on lab, nothing on slow
  const slices = [...cloud.slices.values()].filter((s) => s.key.deployment === 'web');
  expect(slices.map((s) => [s.target, s.replicas.length])).toEqual([['lab', 2]]);
  const status = await fleet.status('web');
  expect(status).toMatchObject({ replicas: 2, ready: 2 });
});
