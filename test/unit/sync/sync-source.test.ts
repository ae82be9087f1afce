import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { createFleet, type Fleet } from '../../../src/fleet.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { gitCli } from '../../../src/sync/git-source-reader.js';
import { registerSource } from '../../../src/sync/register-source.js';
import { type SyncDeps, syncSource } from '../../../src/sync/sync-source.js';
import { systemClock } from '../../../src/util/clock.js';
import { specYaml, type TestRepo, testRepo } from '../../helpers/git-repo.js';

const FLEET = 'sync';

interface World {
  repo: TestRepo;
  store: SqliteStore;
  fleet: Fleet;
  cloud: MemoryCloud;
  /** Every git command run, by its subcommand. */
  gitCalls: string[];
  deps: SyncDeps;
  sync: () => ReturnType<typeof syncSource>;
}

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    await w.fleet.close();
    await w.store.close();
    w.repo.remove();
  }
});

async function world(options: { prune?: boolean } = {}): Promise<World> {
  const repo = testRepo();
  const store = await SqliteStore.open(':memory:');
  const cloud = new MemoryCloud();
  const target = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'mem', kind: 'memory', provider: 'aws', zones: ['a'] }),
    { fleet: FLEET },
    { cloud },
  );
  const fleet = createFleet({ name: FLEET, targets: [target], store });
  const gitCalls: string[] = [];
  const deps: SyncDeps = {
    store,
    fleet,
    clock: systemClock,
    wait: true,
    git: (args) => {
      gitCalls.push(args.find((a) => ['ls-remote', 'ls-tree', 'show'].includes(a)) ?? args.join(' '));
      return gitCli(args);
    },
  };
  await registerSource(store, { name: 'app', repo: repo.dir, path: 'deploy/', prune: options.prune }, 1);
  const w: World = { repo, store, fleet, cloud, gitCalls, deps, sync: () => syncSource(deps, 'app') };
  worlds.push(w);
  return w;
}

const imageOf = async (fleet: Fleet, name: string) => (await fleet.get(name))?.spec.spec.template.containers[0]?.image;
const runningImages = (cloud: MemoryCloud, name: string) =>
  [...cloud.slices.values()]
    .filter((s) => s.key.deployment === name)
    .flatMap((s) => s.replicas.map(() => s.template.containers[0]?.image));

describe('a sync pass of a git source', () => {
  it('a committed spec runs; an image change is a rolling update whose revision records the commit', async () => {
    const w = await world();
    const c1 = w.repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1'), 'README.md': 'no spec' }, 'web');
    const first = await w.sync();
    expect(first).toMatchObject({ outcome: 'synced', commit: c1, error: null });
    expect(first.applied.map((a) => [a.name, a.file, a.action])).toEqual([['web', 'deploy/web.yaml', 'create']]);
    expect((await w.fleet.status('web')).ready).toBe(2);
    expect(runningImages(w.cloud, 'web')).toEqual(['nginx:1', 'nginx:1']);

    const c2 = w.repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:2') }, 'bump');
    const second = await w.sync();
    expect(second.outcome).toBe('synced');
    expect(second.applied.map((a) => [a.action, a.fields])).toEqual([
      ['update', [{ path: 'spec.template.containers[0].image', git: 'nginx:2', store: 'nginx:1' }]],
    ]);
    expect(runningImages(w.cloud, 'web')).toEqual(['nginx:2', 'nginx:2']);
    const history = await w.fleet.history('web');
    expect(history.map((r) => [r.number, r.cause])).toEqual([
      [1, `git app@${c1.slice(0, 12)} deploy/web.yaml`],
      [2, `git app@${c2.slice(0, 12)} deploy/web.yaml`],
    ]);
    expect((await w.fleet.get('web'))?.spec.metadata.annotations).toMatchObject({
      'skyfleet.dev/git-source': 'app',
      'skyfleet.dev/git-commit': c2,
      'skyfleet.dev/git-file': 'deploy/web.yaml',
    });
    expect(await w.store.getGitSource('app')).toMatchObject({
      lastSeenCommit: c2,
      lastSyncedCommit: c2,
      lastError: null,
    });
  });

  it('while the branch does not move, a pass runs the head check and no other git command', async () => {
    const w = await world();
    w.repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    await w.sync();
    expect(w.gitCalls).toContain('show');
    w.gitCalls.length = 0;
    const again = await w.sync();
    const thrice = await w.sync();
    expect([again.outcome, thrice.outcome]).toEqual(['unchanged', 'unchanged']);
    expect(w.gitCalls).toEqual(['ls-remote', 'ls-remote']);
    expect(again.applied).toEqual([]);
  });

  it('a commit with a broken spec changes nothing and names the file and the field, once read', async () => {
    const w = await world();
    const good = w.repo.commit(
      { 'deploy/web.yaml': specYaml('web', 'nginx:1'), 'deploy/api.yaml': specYaml('api', 'api:1') },
      'two',
    );
    await w.sync();
    // one good change and one broken file in the same commit: neither is applied
    const bad = w.repo.commit(
      {
        'deploy/web.yaml': specYaml('web', 'nginx:2'),
        'deploy/api.yaml': specYaml('api', 'api:1').replace('replicas: 2', 'replicas: -1'),
      },
      'broken',
    );
    const r = await w.sync();
    expect(r.outcome).toBe('invalid');
    expect(r.applied).toEqual([]);
    expect(r.error?.issues).toEqual([
      { path: 'deploy/api.yaml: spec.replicas', message: expect.stringContaining('expected an integer') },
    ]);
    expect(await imageOf(w.fleet, 'web')).toBe('nginx:1');
    expect(runningImages(w.cloud, 'web')).toEqual(['nginx:1', 'nginx:1']);
    expect(await w.store.getGitSource('app')).toMatchObject({
      lastSeenCommit: bad,
      lastSyncedCommit: good,
      lastError: { kind: 'invalid', commit: bad },
    });
    expect((await w.fleet.events({ limit: 1 }))[0]).toMatchObject({ type: 'Warning', reason: 'SyncInvalid' });
    // the broken commit is not read again
    w.gitCalls.length = 0;
    expect((await w.sync()).outcome).toBe('invalid');
    expect(w.gitCalls).toEqual(['ls-remote']);
    // the fix applies and clears the error
    w.repo.commit({ 'deploy/api.yaml': specYaml('api', 'api:1') }, 'fix');
    const fixed = await w.sync();
    expect(fixed.outcome).toBe('synced');
    expect(fixed.applied.map((a) => a.name)).toEqual(['web']);
    expect(await imageOf(w.fleet, 'web')).toBe('nginx:2');
    expect((await w.store.getGitSource('app'))?.lastError).toBeNull();
  });

  it('a spec the fleet refuses (an unknown target) applies nothing of its commit', async () => {
    const w = await world();
    w.repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    await w.sync();
    w.repo.commit(
      {
        'deploy/web.yaml': specYaml('web', 'nginx:2'),
        'deploy/api.yaml': specYaml('api', 'api:1').replace(
          'spec:\n',
          'spec:\n  placement: { targets: [{ name: nowhere }] }\n',
        ),
      },
      'unknown target',
    );
    const r = await w.sync();
    expect(r.outcome).toBe('invalid');
    expect(r.error?.issues.map((i) => i.path)).toEqual([expect.stringMatching(/^deploy\/api\.yaml/)]);
    expect(r.error?.issues[0]?.message).toContain('nowhere');
    expect(await imageOf(w.fleet, 'web')).toBe('nginx:1');
    expect(await w.fleet.get('api')).toBeUndefined();
  });

  it('the same deployment in two files is refused, naming both', async () => {
    const w = await world();
    w.repo.commit(
      { 'deploy/a.yaml': specYaml('web', 'nginx:1'), 'deploy/b.yaml': specYaml('web', 'nginx:2') },
      'twice',
    );
    const r = await w.sync();
    expect(r.outcome).toBe('invalid');
    expect(r.error?.issues).toEqual([
      { path: 'deploy/b.yaml: metadata.name', message: expect.stringContaining('also declared in deploy/a.yaml') },
    ]);
    expect(await w.fleet.list()).toEqual([]);
  });

  it('a deleted file: without prune the deployment stays and is reported orphaned; with prune it is deleted', async () => {
    const w = await world();
    w.repo.commit(
      { 'deploy/web.yaml': specYaml('web', 'nginx:1'), 'deploy/api.yaml': specYaml('api', 'api:1') },
      'two',
    );
    await w.sync();
    w.repo.commit({ 'deploy/api.yaml': null }, 'drop api');
    const kept = await w.sync();
    expect(kept).toMatchObject({ outcome: 'synced', orphaned: ['api'], pruned: [] });
    expect(await w.fleet.get('api')).toBeDefined();
    expect(runningImages(w.cloud, 'api')).toEqual(['api:1', 'api:1']);
    // still orphaned on the next pass, never deleted without prune
    expect(await w.sync()).toMatchObject({ outcome: 'unchanged', orphaned: ['api'], pruned: [] });
    expect(await w.fleet.get('api')).toBeDefined();

    await registerSource(w.store, { name: 'app', repo: w.repo.dir, path: 'deploy', prune: true }, 2);
    const pruned = await w.sync();
    expect(pruned).toMatchObject({ pruned: ['api'], orphaned: [] });
    expect(await w.fleet.get('api')).toBeUndefined();
    expect(runningImages(w.cloud, 'api')).toEqual([]);
    expect(await w.fleet.get('web')).toBeDefined();
  });

  it('a deployment applied by hand is not pruned: only those of this source are', async () => {
    const w = await world({ prune: true });
    await w.fleet.apply({
      apiVersion: 'skyfleet.dev/v1',
      kind: 'Deployment',
      metadata: { name: 'manual' },
      spec: { replicas: 1, template: { containers: [{ name: 'm', image: 'm:1' }] } },
    });
    w.repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    const r = await w.sync();
    expect(r).toMatchObject({ outcome: 'synced', pruned: [], orphaned: [] });
    expect(await w.fleet.get('manual')).toBeDefined();
  });

  it('a manual change since the last sync is drift: the next pass reverts it, and says so', async () => {
    const w = await world();
    w.repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    await w.sync();
    await w.fleet.scale('web', 4);
    expect((await w.fleet.get('web'))?.spec.spec.replicas).toBe(4);
    w.gitCalls.length = 0;
    const r = await w.sync();
    expect(r.outcome).toBe('unchanged');
    expect(r.applied).toEqual([
      expect.objectContaining({ name: 'web', action: 'revert', fields: [{ path: 'spec.replicas', git: 2, store: 4 }] }),
    ]);
    expect(w.gitCalls).toEqual(['ls-remote']);
    expect((await w.fleet.get('web'))?.spec.spec.replicas).toBe(2);
    expect((await w.fleet.status('web')).ready).toBe(2);
    expect((await w.fleet.events({ limit: 1 }))[0]).toMatchObject({ reason: 'SyncReverted' });
  });

  it('a branch that does not exist is a failure naming the branch, retried on the next pass', async () => {
    const w = await world();
    w.repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    await registerSource(w.store, { name: 'app', repo: w.repo.dir, branch: 'release' }, 2);
    const r = await w.sync();
    expect(r).toMatchObject({ outcome: 'failed', commit: null });
    expect(r.error?.message).toContain('release');
    expect(await w.fleet.list()).toEqual([]);
  });
});
