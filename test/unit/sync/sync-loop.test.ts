import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { createFleet, type Fleet } from '../../../src/fleet.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { gitCli } from '../../../src/sync/git-source-reader.js';
import { registerSource } from '../../../src/sync/register-source.js';
import { SyncLoop } from '../../../src/sync/sync-loop.js';
import type { SyncReport } from '../../../src/sync/sync-source.js';
import { ManualClock } from '../../../src/util/clock.js';
import { eventually } from '../../helpers/eventually.js';
import { specYaml, type TestRepo, testRepo } from '../../helpers/git-repo.js';

const open: Array<{ fleet: Fleet; store: SqliteStore; repo: TestRepo; stop: AbortController; done: Promise<void> }> =
  [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    o.stop.abort();
    await o.done;
    await o.fleet.close();
    await o.store.close();
    o.repo.remove();
  }
});

async function loop() {
  const repo = testRepo();
  const store = await SqliteStore.open(':memory:');
  const target = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'mem', kind: 'memory', provider: 'aws', zones: ['a'] }),
    { fleet: 'loop' },
    { cloud: new MemoryCloud() },
  );
  const fleet = createFleet({ name: 'loop', targets: [target], store });
  const clock = new ManualClock();
  const git: string[] = [];
  const reports: SyncReport[] = [];
  let lists = 0;
  const counted = Object.assign(Object.create(store) as SqliteStore, {
    listGitSources: () => {
      lists++;
      return store.listGitSources();
    },
  });
  const l = new SyncLoop(
    {
      store: counted,
      fleet,
      clock,
      git: (args) => {
        git.push(args.find((a) => ['ls-remote', 'ls-tree', 'show'].includes(a)) ?? args.join(' '));
        return gitCli(args);
      },
    },
    { onReport: (r) => reports.push(r) },
  );
  const stop = new AbortController();
  const done = l.run(stop.signal);
  open.push({ fleet, store, repo, stop, done });
  // the loop's first listing (no sources yet) is done before the test registers any
  await eventually(() => lists >= 1, { message: 'the first listing' });
  /** Moves the clock a second and waits for the loop to list the sources again (and start what is due). */
  const tick = async () => {
    const seen = lists;
    clock.advance(1000);
    await eventually(() => lists > seen, { message: 'the loop to list the sources again' });
  };
  return { repo, store, fleet, clock, git, reports, loop: l, tick };
}

describe('the sync loop', () => {
  it('passes each source on its interval by the injected clock, with only a head check while nothing changed', async () => {
    const w = await loop();
    w.repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    await registerSource(w.store, { name: 'app', repo: w.repo.dir, interval: '30s' }, w.clock.now());
    // the first pass comes at the next listing (within a second)
    w.clock.advance(1000);
    await eventually(() => w.reports.length === 1, { message: 'the first pass' });
    expect(w.reports[0]).toMatchObject({ outcome: 'synced' });
    expect((await w.fleet.get('web'))?.spec.spec.template.containers[0]?.image).toBe('nginx:1');
    w.git.length = 0;

    // 29 s later: listed again each second, no pass yet
    for (let s = 0; s < 29; s++) await w.tick();
    expect(w.reports).toHaveLength(1);
    expect(w.git).toEqual([]);
    // at 30 s: a pass, one head check and nothing else
    w.clock.advance(1000);
    await eventually(() => w.reports.length === 2, { message: 'the pass at 30 s' });
    expect(w.reports[1]).toMatchObject({ outcome: 'unchanged' });
    expect(w.git).toEqual(['ls-remote']);

    // a new commit is applied at the next interval
    w.repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:2') }, 'bump');
    w.clock.advance(30_000);
    await eventually(() => w.reports.length === 3, { message: 'the pass at 60 s' });
    expect(w.reports[2]).toMatchObject({ outcome: 'synced' });
    expect((await w.fleet.get('web'))?.spec.spec.template.containers[0]?.image).toBe('nginx:2');
  });

  it('a trigger syncs at once, and triggers during a pass share one more pass after it', async () => {
    const w = await loop();
    w.repo.commit({ 'deploy/web.yaml': specYaml('web', 'nginx:1') }, 'web');
    await registerSource(w.store, { name: 'app', repo: w.repo.dir, interval: '1h' }, w.clock.now());
    const first = w.loop.trigger('app');
    const second = w.loop.trigger('app');
    const third = w.loop.trigger('app');
    expect(second).toBe(third);
    expect((await first).outcome).toBe('synced');
    expect((await second).outcome).toBe('unchanged');
    expect(w.reports.map((r) => r.outcome)).toEqual(['synced', 'unchanged']);
    // the hourly interval starts from the trigger: no pass at the next listings
    await w.tick();
    await w.tick();
    expect(w.reports).toHaveLength(2);
  });
});
