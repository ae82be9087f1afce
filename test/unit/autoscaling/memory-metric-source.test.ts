import { describe, expect, it } from 'vitest';
import { MemoryMetricSource } from '../../../src/autoscaling/index.js';
import { MetricSourceError } from '../../../src/errors/index.js';
import { sample, T0 } from './fixtures.js';

const q = { deployment: 'web', revision: 'abc', metric: 'concurrency' as const, windowMs: 60_000 };

describe('MemoryMetricSource (the MetricSource contract)', () => {
  it('answers undefined for no data, never a throw or a 0', async () => {
    const src = new MemoryMetricSource();
    expect(await src.sample(q)).toBeUndefined();
  });

  it('answers the sample of the window asked for, else one set for every window, per revision', async () => {
    const src = new MemoryMetricSource();
    src.set({ deployment: 'web', revision: 'abc', metric: 'concurrency' }, sample(3));
    src.set({ ...q, windowMs: 6000 }, sample(9, T0, 6000));
    expect(await src.sample(q)).toEqual(sample(3));
    expect(await src.sample({ ...q, windowMs: 6000 })).toEqual(sample(9, T0, 6000));
    expect(await src.sample({ ...q, revision: 'def' })).toBeUndefined();
    src.set({ deployment: 'web', revision: 'abc', metric: 'concurrency' }, undefined);
    expect(await src.sample(q)).toBeUndefined();
  });

  it("keeps a sample's own sampledAt (staleness is the caller's call) and hands out copies", async () => {
    const src = new MemoryMetricSource();
    src.set(q, sample(3, T0 - 3_600_000));
    const got = (await src.sample(q))!;
    expect(got.sampledAt).toBe(T0 - 3_600_000);
    got.value = 99;
    expect((await src.sample(q))!.value).toBe(3);
  });

  it('throws only classified errors: terminal for a metric it does not provide, the one it was told to', async () => {
    const src = new MemoryMetricSource({ name: 'router', provides: ['concurrency'] });
    const err = await src.sample({ ...q, metric: 'cpu' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricSourceError);
    expect(err).toMatchObject({ code: 'metrics_terminal', retryable: false, source: 'router' });
    expect((err as Error).message).toBe('router: does not provide cpu (it provides concurrency)');
    src.fail(q, { message: 'stats socket timed out', retryable: true });
    await expect(src.sample(q)).rejects.toMatchObject({ code: 'metrics_retryable', retryable: true });
    src.fail(q, undefined);
    expect(await src.sample(q)).toBeUndefined();
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(new MemoryMetricSource().sample(q, { signal: ac.signal })).rejects.toThrow('stop');
  });
});
