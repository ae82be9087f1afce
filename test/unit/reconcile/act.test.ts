import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log/logger.js';
import type { Action } from '../../../src/plan/types.js';
import type { ApplyResult, DesiredSlice, Provider, SliceKey } from '../../../src/provider/provider.js';
import { act } from '../../../src/reconcile/act.js';
import type { ReconcileContext } from '../../../src/reconcile/context.js';
import { envSecretResolver } from '../../../src/reconcile/secrets.js';
import { RevisionTemplates } from '../../../src/reconcile/templates.js';
import { deployment as deploymentSchema, podTemplate } from '../../../src/spec/deployment.js';
import { openStore } from '../../../src/store/open-store.js';
import { systemClock } from '../../../src/util/clock.js';

/** A provider that records when each call starts and ends; removals take a few ticks. */
function recordingProvider(failRemove = false) {
  const log: string[] = [];
  const tick = () => new Promise((r) => setTimeout(r, 5));
  const p = {
    kind: 'memory',
    target: 'd',
    async apply(slice: DesiredSlice): Promise<ApplyResult> {
      log.push(
        `apply ${slice.key.revision} ${slice.replicas}${slice.remove ? ` remove=${slice.remove.join(',')}` : ''} start`,
      );
      await tick();
      log.push(`apply ${slice.key.revision} ${slice.replicas} end`);
      return { changed: true, writes: 1 };
    },
    async remove(key: SliceKey): Promise<ApplyResult> {
      log.push(`remove ${key.revision} start`);
      await tick();
      await tick();
      if (failRemove) throw new Error('engine unreachable');
      log.push(`remove ${key.revision} end`);
      return { changed: true, writes: 1 };
    },
  } as unknown as Provider;
  return { p, log };
}

async function setup(failRemove = false) {
  const store = await openStore(':memory:');
  const { p, log } = recordingProvider(failRemove);
  const ctx: ReconcileContext = {
    fleet: 'f',
    providers: new Map([['d', p]]),
    store,
    clock: systemClock,
    logger: silentLogger,
    secrets: envSecretResolver,
  };
  const template = podTemplate.parse({ containers: [{ name: 'web', image: 'web:1' }] });
  const d = deploymentSchema.parse({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 2, template },
  });
  const templates = new RevisionTemplates(store, 'web', { revision: 'new', template });
  return { ctx, d, templates, log, store };
}

const step: Action[] = [
  { type: 'scale', target: 'd', zone: 'z', revision: 'new', from: 1, to: 2, reason: 'rolling update' },
  { type: 'delete', target: 'd', zone: 'z', revision: 'old', from: 1, to: 0, reason: 'replaced by new' },
];

describe('act', () => {
  it('finishes the removals of a step before it adds replicas in the room they make', async () => {
    const { ctx, d, templates, log, store } = await setup();
    const res = await act(ctx, d, step, templates, {});
    expect(res.failures).toEqual([]);
    expect(log).toEqual(['remove old start', 'remove old end', 'apply new 2 start', 'apply new 2 end']);
    await store.close();
  });

  it('adds nothing after a failed removal (the room is not there), but still reports it', async () => {
    const { ctx, d, templates, log, store } = await setup(true);
    const res = await act(ctx, d, step, templates, {});
    expect(res.failures.map((f) => f.action.revision)).toEqual(['old']);
    expect(log).toEqual(['remove old start']);
    await store.close();
  });

  it('hands the provider the replicas the load balancer drained, so it removes exactly those', async () => {
    const { ctx, d, templates, log, store } = await setup();
    const down: Action[] = [
      { type: 'scale', target: 'd', zone: 'z', revision: 'new', from: 3, to: 2, reason: 'scale', remove: ['task-1'] },
    ];
    const res = await act(ctx, d, down, templates, {});
    expect(res.failures).toEqual([]);
    expect(log).toEqual(['apply new 2 remove=task-1 start', 'apply new 2 end']);
    await store.close();
  });
});
