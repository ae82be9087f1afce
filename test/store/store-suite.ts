import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentInput } from '../../src/spec/deployment.js';
import { parseDeployment, parseFleet } from '../../src/spec/load.js';
import { revisionOf } from '../../src/spec/revision.js';
import { isApiStore } from '../../src/store/api-store.js';
import { isGitSourceStore } from '../../src/store/git-source-store.js';
import type { Store } from '../../src/store/store.js';

const dep = (image: string, name = 'web') =>
  parseDeployment({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas: 2, template: { containers: [{ name: 'web', image }] } },
  } satisfies DeploymentInput);

/**
 * The behaviour every Store must have. `open` gives a fresh, empty store; `openAgain` a second
 * handle on the same data (another process, another machine).
 */
export function describeStoreSuite(
  name: string,
  open: () => Promise<{ store: Store; openAgain: () => Promise<Store>; cleanup: () => Promise<void> }>,
): void {
  describe(`store: ${name}`, () => {
    let store: Store;
    let openAgain: () => Promise<Store>;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, openAgain, cleanup } = await open());
    });
    afterAll(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('keeps deployments with a generation that grows only when the spec changes', async () => {
      const d1 = dep('img:1');
      const a = await store.putDeployment({
        name: 'web',
        spec: d1,
        revision: revisionOf(d1.spec.template),
        updatedAt: 1,
      });
      const b = await store.putDeployment({
        name: 'web',
        spec: d1,
        revision: revisionOf(d1.spec.template),
        updatedAt: 2,
      });
      const d2 = dep('img:2');
      const c = await store.putDeployment({
        name: 'web',
        spec: d2,
        revision: revisionOf(d2.spec.template),
        updatedAt: 3,
      });
      expect([a.generation, b.generation, c.generation]).toEqual([1, 1, 2]);
      expect(await store.getDeployment('web')).toMatchObject({ name: 'web', spec: d2, generation: 2, updatedAt: 3 });
      await store.putDeployment({ name: 'api', spec: dep('x', 'api'), revision: 'r', updatedAt: 4 });
      expect((await store.listDeployments()).map((d) => d.name)).toEqual(['api', 'web']);
      const again = await openAgain();
      expect((await again.getDeployment('web'))?.generation).toBe(2);
      await again.close();
    });

    it('compare-and-set on the generation: of two writers that read the same one, exactly one writes', async () => {
      const d1 = dep('img:1', 'cas');
      const d2 = dep('img:2', 'cas');
      const d3 = dep('img:3', 'cas');
      const put = (h: Store, d: typeof d1, expectGeneration: number | null) =>
        h.putDeployment(
          { name: 'cas', spec: d, revision: revisionOf(d.spec.template), updatedAt: 1 },
          { expectGeneration },
        );
      expect((await put(store, d1, null)).generation).toBe(1);
      // a create when a record exists is refused, naming what is stored
      await expect(put(store, d2, null)).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringContaining(`it is now revision ${revisionOf(d1.spec.template)} (generation 1)`),
      });
      const handles = await Promise.all([openAgain(), openAgain()]);
      try {
        const results = await Promise.allSettled([put(handles[0]!, d2, 1), put(handles[1]!, d3, 1)]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(lost.reason).toMatchObject({ code: 'conflict' });
        const won = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ revision: string }>)
          .value;
        expect(await store.getDeployment('cas')).toMatchObject({ generation: 2, revision: won.revision });
        // a stale generation is refused; the current one is accepted
        await expect(put(store, d1, 1)).rejects.toMatchObject({ code: 'conflict' });
        expect((await put(store, d1, 2)).generation).toBe(3);
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
      await store.deleteDeployment('cas');
      await expect(put(store, d1, 3)).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringContaining('deleted'),
      });
    });

    it('numbers revisions, records each once, and prunes all but the newest and the live ones', async () => {
      const t = dep('img:1').spec.template;
      const r1 = await store.putRevision('hist', 'a', t, 1);
      const r1again = await store.putRevision('hist', 'a', t, 5);
      expect([r1.number, r1again.number, r1again.createdAt]).toEqual([1, 1, 1]);
      for (const [i, rev] of ['b', 'c', 'd', 'e'].entries()) await store.putRevision('hist', rev, t, i + 2);
      expect((await store.listRevisions('hist')).map((r) => `${r.number}${r.revision}`)).toEqual([
        '1a',
        '2b',
        '3c',
        '4d',
        '5e',
      ]);
      await store.pruneRevisions('hist', 2, new Set(['a']));
      expect((await store.listRevisions('hist')).map((r) => r.revision)).toEqual(['a', 'd', 'e']);
      expect((await store.getRevision('hist', 'd'))?.template).toEqual(t);
      expect(await store.getRevision('hist', 'b')).toBeUndefined();
    });

    it('deletes a deployment with its revisions and conditions, keeping its events', async () => {
      const d = dep('img:1', 'gone');
      await store.putDeployment({ name: 'gone', spec: d, revision: 'r', updatedAt: 1 });
      await store.putRevision('gone', 'r', d.spec.template, 1);
      await store.putConditions('gone', [
        { type: 'Available', status: 'True', reason: 'Ready', message: 'ok', lastTransitionTime: 1 },
      ]);
      await store.addEvent({ time: 1, deployment: 'gone', type: 'Normal', reason: 'Created', message: 'x' });
      await store.deleteDeployment('gone');
      expect(await store.getDeployment('gone')).toBeUndefined();
      expect(await store.listRevisions('gone')).toEqual([]);
      expect(await store.getConditions('gone')).toEqual([]);
      expect((await store.listEvents({ deployment: 'gone' })).map((e) => e.reason)).toEqual(['Created']);
    });

    it('lists events oldest first, newest `limit`, per deployment or all', async () => {
      for (let i = 0; i < 5; i++)
        await store.addEvent({
          time: 100 + i,
          deployment: 'ev',
          type: i % 2 ? 'Warning' : 'Normal',
          reason: `R${i}`,
          message: `m${i}`,
        });
      await store.addEvent({ time: 200, deployment: null, type: 'Normal', reason: 'Fleet', message: 'fleet-wide' });
      expect((await store.listEvents({ deployment: 'ev', limit: 3 })).map((e) => e.reason)).toEqual(['R2', 'R3', 'R4']);
      const all = await store.listEvents({ limit: 2 });
      expect(all.map((e) => e.reason)).toEqual(['R4', 'Fleet']);
      expect(all[1]).toMatchObject({ deployment: null, type: 'Normal', time: 200 });
    });

    it('keeps an autoscaler state per deployment, replaced whole and removed with the deployment', async () => {
      const rec = await store.putDeployment({ name: 'auto', spec: dep('x', 'auto'), revision: 'r', updatedAt: 1 });
      const st = { history: [{ at: 1, replicas: 3 }], panicUntil: null, lastActivity: 5 };
      expect(await store.getAutoscalerState('auto')).toBeUndefined();
      await store.putAutoscalerState('auto', st);
      await store.putAutoscalerState('auto', { ...st, lastActivity: 9 });
      expect(await store.getAutoscalerState('auto')).toEqual({ ...st, lastActivity: 9 });
      await store.deleteDeployment(rec.name);
      expect(await store.getAutoscalerState('auto')).toBeUndefined();
    });

    it('keeps a rollout state per deployment, replaced whole and removed with the deployment', async () => {
      const st = {
        strategy: 'Canary' as const,
        stable: 'a',
        canary: 'b',
        step: 2,
        stepStartedAt: 5,
        phase: 'Paused' as const,
        message: 'waiting',
        pausedByUser: false,
        promote: false,
        abort: false,
      };
      await store.putDeployment({ name: 'ro', spec: dep('x', 'ro'), revision: 'b', updatedAt: 1 });
      expect(await store.getRollout('ro')).toBeUndefined();
      await store.putRollout('ro', st);
      await store.putRollout('ro', { ...st, step: 3, promote: true });
      expect(await store.getRollout('ro')).toEqual({ ...st, step: 3, promote: true });
      await store.deleteDeployment('ro');
      expect(await store.getRollout('ro')).toBeUndefined();
    });

    it('replaces conditions whole', async () => {
      await store.putConditions('c', [
        { type: 'Progressing', status: 'True', reason: 'Rolling', message: '1/3', lastTransitionTime: 1 },
      ]);
      const next = [
        { type: 'Available' as const, status: 'True' as const, reason: 'Ready', message: '3/3', lastTransitionTime: 2 },
        {
          type: 'Progressing' as const,
          status: 'False' as const,
          reason: 'Complete',
          message: '',
          lastTransitionTime: 2,
        },
      ];
      await store.putConditions('c', next);
      expect(await store.getConditions('c')).toEqual(next);
    });

    it('grants a lease to one holder at a time, with a token that grows when it changes hands', async () => {
      const other = await openAgain();
      try {
        const a = await store.acquireLease('fleet', 'a', 1000, 10_000);
        expect(a).toMatchObject({ holder: 'a', expiresAt: 11_000 });
        expect(await other.acquireLease('fleet', 'b', 1000, 10_500)).toBeUndefined();
        // renewal keeps the token
        const renewed = await store.acquireLease('fleet', 'a', 1000, 10_900);
        expect(renewed?.token).toBe(a!.token);
        expect(await store.checkLease('fleet', 'a', a!.token, 11_000)).toBe(true);
        // lapsed: b takes it with a new token, and a's token no longer passes
        const b = await other.acquireLease('fleet', 'b', 1000, 12_000);
        expect(b?.token).toBe(a!.token + 1);
        expect(await store.checkLease('fleet', 'a', a!.token, 12_001)).toBe(false);
        expect(await other.checkLease('fleet', 'b', b!.token, 12_001)).toBe(true);
        // release lets the next holder in at once
        await other.releaseLease('fleet', 'b');
        const a2 = await store.acquireLease('fleet', 'a', 1000, 12_002);
        expect(a2?.token).toBe(b!.token + 1);
        expect(await store.getLease('fleet')).toMatchObject({ holder: 'a', token: a2!.token });
      } finally {
        await other.close();
      }
    });

    it('lets exactly one of many concurrent contenders win a free lease', async () => {
      const handles = await Promise.all(Array.from({ length: 5 }, () => openAgain()));
      try {
        const results = await Promise.all(handles.map((h, i) => h.acquireLease('race', `c${i}`, 5000, 50_000)));
        expect(results.filter(Boolean)).toHaveLength(1);
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
    });

    it('records the fleet applied last: one record, replaced whole, read by another handle', async () => {
      expect(await store.getFleet()).toBeUndefined();
      const fleet = parseFleet({
        apiVersion: 'skyfleet.dev/v1',
        kind: 'Fleet',
        metadata: { name: 'demo' },
        targets: [{ name: 'lab', kind: 'memory', zones: ['a', 'b'] }],
      });
      await store.putFleet({ name: 'demo', spec: fleet, withheld: [], source: 'web.yaml', recordedAt: 5 });
      expect(await store.getFleet()).toEqual({
        name: 'demo',
        spec: fleet,
        withheld: [],
        source: 'web.yaml',
        recordedAt: 5,
      });
      const other = parseFleet({ ...fleet, metadata: { name: 'prod' }, targets: [{ name: 'local', kind: 'docker' }] });
      await store.putFleet({
        name: 'prod',
        spec: other,
        withheld: ['targets[0].credentials'],
        source: 'prod.yaml',
        recordedAt: 6,
      });
      const again = await openAgain();
      try {
        expect(await again.getFleet()).toEqual({
          name: 'prod',
          spec: other,
          withheld: ['targets[0].credentials'],
          source: 'prod.yaml',
          recordedAt: 6,
        });
      } finally {
        await again.close();
      }
    });

    it('makes one secret key on first use, the same for every handle and for racing first uses', async () => {
      const again = await openAgain();
      try {
        // both handles ask at once before any key exists: one key wins, both see it
        const [a, b] = await Promise.all([store.secretKey(), again.secretKey()]);
        expect(a).toHaveLength(32);
        expect(b.equals(a)).toBe(true);
        expect((await store.secretKey()).equals(a)).toBe(true);
        expect(a.equals(Buffer.alloc(32))).toBe(false);
      } finally {
        await again.close();
      }
    });

    it('feeds every change of desired state and every event, in order, with resourceVersions', async () => {
      if (!isApiStore(store)) throw new Error('expected a store with a change feed');
      const start = (await store.feedBounds()).newest;
      const d1 = dep('feed:1', 'feed');
      const a = await store.putDeployment({
        name: 'feed',
        spec: d1,
        revision: revisionOf(d1.spec.template),
        updatedAt: 10,
      });
      // the same spec again: no change, the same resourceVersion
      const same = await store.putDeployment({
        name: 'feed',
        spec: d1,
        revision: revisionOf(d1.spec.template),
        updatedAt: 11,
      });
      const d2 = dep('feed:2', 'feed');
      const b = await store.putDeployment({
        name: 'feed',
        spec: d2,
        revision: revisionOf(d2.spec.template),
        updatedAt: 12,
      });
      await store.addEvent({ time: 13, deployment: 'feed', type: 'Normal', reason: 'Fed', message: 'm' });
      await store.deleteDeployment('feed');
      expect(same.resourceVersion).toBe(a.resourceVersion);
      expect(b.resourceVersion).toBeGreaterThan(a.resourceVersion ?? Number.POSITIVE_INFINITY);
      const changes = (await store.listChanges(start)).filter((c) => c.name === 'feed');
      expect(changes.map((c) => [c.kind, c.type])).toEqual([
        ['deployment', 'ADDED'],
        ['deployment', 'MODIFIED'],
        ['event', 'ADDED'],
        ['deployment', 'DELETED'],
      ]);
      expect(changes[0]!.id).toBe(a.resourceVersion);
      expect(changes[1]).toMatchObject({
        id: b.resourceVersion,
        object: { generation: 2, resourceVersion: b.resourceVersion },
      });
      expect(changes[2]!.object).toMatchObject({ reason: 'Fed', deployment: 'feed' });
      const ids = changes.map((c) => c.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      // resuming from the second change gives the ones after it only
      expect((await store.listChanges(ids[1]!)).filter((c) => c.name === 'feed').map((c) => c.id)).toEqual(
        ids.slice(2),
      );
      await store.pruneChanges(2);
      const bounds = await store.feedBounds();
      expect(bounds.newest).toBe(ids[3]);
      expect(bounds.oldest).toBe(ids[3]! - 1);
    });

    it('keeps API tokens by hash, lists and revokes them, and keeps the audit', async () => {
      if (!isApiStore(store)) throw new Error('expected a store with tokens');
      const t = {
        id: 'tok1',
        name: 'ci',
        role: 'deployer' as const,
        hash: 'ab'.repeat(32),
        createdAt: 5,
        expiresAt: 99,
        revokedAt: null,
      };
      await store.putToken(t);
      expect(await store.getTokenByHash(t.hash)).toEqual(t);
      expect(await store.getTokenByHash('cd'.repeat(32))).toBeUndefined();
      expect((await store.listTokens()).map((x) => x.id)).toContain('tok1');
      expect(await store.revokeToken('ci', 7)).toBe(true);
      expect(await store.revokeToken('ci', 8)).toBe(false);
      expect((await store.getTokenByHash(t.hash))?.revokedAt).toBe(7);
      await store.addAudit({
        time: 1,
        who: 'ci/tok1',
        what: 'POST /api/v1/deployments',
        from: '127.0.0.1',
        status: 200,
        revision: 'r1',
      });
      await store.addAudit({
        time: 2,
        who: 'ci/tok1',
        what: 'DELETE /api/v1/deployments/web',
        from: '127.0.0.1',
        status: 404,
        revision: null,
      });
      const audit = await store.listAudit({ limit: 2 });
      expect(audit.map((a) => [a.what, a.status, a.revision, a.from])).toEqual([
        ['POST /api/v1/deployments', 200, 'r1', '127.0.0.1'],
        ['DELETE /api/v1/deployments/web', 404, null, '127.0.0.1'],
      ]);
    });

    it('records the cause of a revision once, with its first record', async () => {
      const t = dep('img:1').spec.template;
      const r = await store.putRevision('caused', 'a', t, 1, 'git deploy@abc123 web.yaml');
      await store.putRevision('caused', 'a', t, 2, 'a later cause');
      await store.putRevision('caused', 'b', t, 3);
      expect(r.cause).toBe('git deploy@abc123 web.yaml');
      expect((await store.listRevisions('caused')).map((x) => [x.revision, x.cause])).toEqual([
        ['a', 'git deploy@abc123 web.yaml'],
        ['b', undefined],
      ]);
      expect((await store.getRevision('caused', 'a'))?.cause).toBe('git deploy@abc123 web.yaml');
    });

    it("records a revision's placement as the latest spec applied with it gave it", async () => {
      const t = dep('img:1').spec.template;
      const aws = { ...dep('img:1').spec.placement, targets: [{ name: 'aws' }] };
      const gcp = { ...aws, targets: [{ name: 'gcp' }] };
      expect((await store.putRevision('placed', 'a', t, 1)).placement).toBeUndefined();
      expect((await store.putRevision('placed', 'a', t, 2, undefined, aws)).placement).toEqual(aws);
      await store.putRevision('placed', 'b', t, 3, undefined, gcp);
      // a put without a placement (before the spec is on record) keeps the recorded one
      await store.putRevision('placed', 'a', t, 4);
      const again = await openAgain();
      expect((await again.getRevision('placed', 'a'))?.placement).toEqual(aws);
      await again.close();
      await store.putRevision('placed', 'a', t, 5, undefined, gcp);
      expect((await store.listRevisions('placed')).map((x) => [x.revision, x.number, x.placement])).toEqual([
        ['a', 1, gcp],
        ['b', 2, gcp],
      ]);
    });

    it('keeps git sources: settings replaced whole, status updated apart, both read by another handle', async () => {
      if (!isGitSourceStore(store)) throw new Error('expected a store with git sources');
      const src = {
        name: 'deploy',
        repo: '/srv/git/app.git',
        branch: 'main',
        path: 'deploy',
        intervalMs: 30_000,
        prune: false,
        webhookSecret: 's3cret',
        lastSeenCommit: null,
        lastSyncedCommit: null,
        lastError: null,
        synced: [],
        lastCheckAt: null,
        createdAt: 1,
        updatedAt: 1,
      };
      expect(await store.putGitSource(src)).toEqual(src);
      const error = {
        kind: 'invalid' as const,
        commit: 'c2',
        at: 5,
        message: 'commit c2 has invalid specs',
        issues: [{ path: 'deploy/b.yaml: spec.replicas', message: 'expected an integer' }],
      };
      const after = await store.recordGitSync(
        'deploy',
        { lastSeenCommit: 'c2', lastSyncedCommit: 'c1', lastError: error, lastCheckAt: 5 },
        5,
      );
      expect(after).toEqual({
        ...src,
        lastSeenCommit: 'c2',
        lastSyncedCommit: 'c1',
        lastError: error,
        lastCheckAt: 5,
        updatedAt: 5,
      });
      // new settings keep the status; a partial status update keeps the rest
      await store.putGitSource({ ...src, branch: 'release', prune: true, webhookSecret: null, updatedAt: 6 });
      const synced = [{ file: 'deploy/web.yaml', deployment: dep('img:1') }];
      await store.recordGitSync('deploy', { lastError: null, synced }, 7);
      const other = await openAgain();
      try {
        if (!isGitSourceStore(other)) throw new Error('expected a store with git sources');
        expect(await other.getGitSource('deploy')).toEqual({
          ...src,
          branch: 'release',
          prune: true,
          webhookSecret: null,
          lastSeenCommit: 'c2',
          lastSyncedCommit: 'c1',
          lastError: null,
          synced,
          lastCheckAt: 5,
          updatedAt: 7,
        });
      } finally {
        await other.close();
      }
      await store.putGitSource({ ...src, name: 'another' });
      expect((await store.listGitSources()).map((g) => g.name)).toEqual(['another', 'deploy']);
      expect(await store.recordGitSync('nothing', { lastCheckAt: 1 }, 1)).toBeUndefined();
      expect(await store.deleteGitSource('another')).toBe(true);
      expect(await store.deleteGitSource('another')).toBe(false);
      expect(await store.getGitSource('another')).toBeUndefined();
    });
  });
}
