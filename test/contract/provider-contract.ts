import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError, ValidationError } from '../../src/errors/index.js';
import type { DesiredSlice, ObservedSlice, Provider, SliceKey } from '../../src/provider/provider.js';
import type { PodTemplate } from '../../src/spec/deployment.js';
import { revisionOf } from '../../src/spec/revision.js';
import { eventually } from '../helpers/eventually.js';

/** What a provider's test file supplies to run the contract suite against it. */
export interface ContractHarness {
  /** A new provider instance over the same backing state (Docker engine, emulator, memory world). */
  provider(): Provider | Promise<Provider>;
  /** A fleet name unique to this run. */
  fleet: string;
  /** A zone of the target. */
  zone: string;
  /** A template this provider can run and report ready. */
  template: PodTemplate;
  /** Makes the provider's next API call fail, retryably or terminally, by the provider's own fault path. */
  failNext(kind: 'retryable' | 'terminal'): void | Promise<void>;
  /** Lets time pass for emulated clouds (advance an emulator clock); real providers just wait. */
  tick?(): void | Promise<void>;
  /** How long replicas may take to become ready. */
  readyTimeoutMs?: number;
  /** Removes everything the run made, even after failures. */
  cleanup(): Promise<void>;
}

/**
 * The contract every provider must pass (the failure semantics written in src/provider/provider.ts):
 * idempotent apply, idempotent remove, state found again by a new instance, classified errors.
 */
export function describeProviderContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`provider contract: ${name}`, () => {
    let h: ContractHarness;
    let key: SliceKey;
    const slice = (replicas: number): DesiredSlice => ({
      key,
      replicas,
      template: h.template,
      labels: { team: 'contract' },
    });
    const mine = (all: ObservedSlice[]) => all.filter((s) => s.key.deployment === key.deployment);
    /** Polls p's slices of this deployment until `ok` (letting the harness's time pass between polls). */
    const observedUntil = (p: Provider, what: string, ok: (s: ObservedSlice[]) => boolean) => {
      let polls = 0;
      return eventually(
        async () => {
          if (polls++ > 0) await h.tick?.();
          return mine(await p.observe({ fleet: h.fleet }));
        },
        { message: what, until: ok, timeoutMs: h.readyTimeoutMs ?? 10_000, intervalMs: 100 },
      );
    };

    beforeAll(async () => {
      h = await setup();
      key = { fleet: h.fleet, deployment: 'contract', revision: revisionOf(h.template), zone: h.zone };
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    it('observes nothing for a fleet that has nothing (absent is not an error)', async () => {
      const p = await h.provider();
      expect(await p.observe({ fleet: h.fleet, deployment: 'nothing-here' })).toEqual([]);
    });

    it('apply creates the slice; a second apply of the same slice makes no write', async () => {
      const p = await h.provider();
      const first = await p.apply(slice(2));
      expect(first.changed).toBe(true);
      expect(first.writes).toBeGreaterThan(0);
      const second = await p.apply(slice(2));
      expect(second).toEqual({ changed: false, writes: 0 });
      const observed = await observedUntil(p, '2 ready replicas', (s) => s[0]?.ready === 2);
      expect(observed).toHaveLength(1);
      expect(observed[0]).toMatchObject({ key, replicas: 2, ready: 2, revision: key.revision, target: p.target });
      expect(observed[0]!.replicaStatus.every((r) => r.ready && r.state === 'ready')).toBe(true);
    });

    it('a new provider instance finds what an earlier one made, and re-applying through it writes nothing', async () => {
      const p1 = await h.provider();
      const before = mine(await p1.observe({ fleet: h.fleet }));
      const p2 = await h.provider();
      const after = mine(await p2.observe({ fleet: h.fleet }));
      expect(after.map((s) => s.replicaStatus.map((r) => r.id).sort())).toEqual(
        before.map((s) => s.replicaStatus.map((r) => r.id).sort()),
      );
      expect(await p2.apply(slice(2))).toEqual({ changed: false, writes: 0 });
    });

    it('apply scales the slice up and down', async () => {
      const p = await h.provider();
      expect((await p.apply(slice(3))).changed).toBe(true);
      let s = await observedUntil(p, '3 ready replicas', (x) => x[0]?.ready === 3);
      expect(s[0]?.replicas).toBe(3);
      expect((await p.apply(slice(1))).changed).toBe(true);
      s = await observedUntil(p, '1 replica', (x) => x[0]?.replicas === 1);
      expect(s[0]?.replicas).toBe(1);
    });

    it('remove deletes the slice; removing it again succeeds and changes nothing', async () => {
      const p = await h.provider();
      expect((await p.remove(key)).changed).toBe(true);
      const s = await observedUntil(p, 'the slice gone', (x) => x.length === 0);
      expect(s).toEqual([]);
      expect((await p.remove(key)).changed).toBe(false);
    });

    it('classifies a retryable failure as retryable and keeps the provider message', async () => {
      const p = await h.provider();
      await h.failNext('retryable');
      const err = await p.observe({ fleet: h.fleet }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).retryable).toBe(true);
      expect((err as ProviderError).provider).toBe(p.kind);
      expect((err as ProviderError).message.length).toBeGreaterThan(p.kind.length + 2);
    });

    it('classifies a terminal failure as terminal and keeps the provider message', async () => {
      const p = await h.provider();
      // start from nothing, so whatever is found after the failed apply was made by it
      await p.remove(key);
      expect(await observedUntil(p, 'the slice absent', (x) => x.length === 0)).toEqual([]);
      await h.failNext('terminal');
      const err = await p.apply(slice(1)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).retryable).toBe(false);
      expect((err as ProviderError).provider).toBe(p.kind);
      // a failed call leaves nothing half-made behind: looked at before anything is removed, by
      // this instance and by a new one (that reads only the provider's state)
      expect(mine(await p.observe({ fleet: h.fleet }))).toEqual([]);
      expect(mine(await (await h.provider()).observe({ fleet: h.fleet }))).toEqual([]);
    });

    it("validate runs apply's own checks with no call: it accepts what apply runs, and what it refuses apply refuses before any write", async () => {
      const p = await h.provider();
      expect(p.validate).toBeTypeOf('function');
      expect(() => p.validate!(slice(1))).not.toThrow();
      const nowhere: DesiredSlice = {
        ...slice(1),
        key: { ...key, deployment: 'contract-nowhere', zone: 'no-such-zone' },
      };
      expect(() => p.validate!(nowhere)).toThrow(ValidationError);
      expect(() => p.validate!(nowhere)).toThrow(/zone/);
      await expect(p.apply(nowhere)).rejects.toBeInstanceOf(ValidationError);
      expect((await p.observe({ fleet: h.fleet })).filter((s) => s.key.deployment === 'contract-nowhere')).toEqual([]);
    });
  });
}
