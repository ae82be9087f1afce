import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsEcsProvider } from '../../../providers/aws-ecs/index.js';
import { type EcsTestbed, ecsTestbed } from '../../emulators/ecs/index.js';
import { converge, sliceOf } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());

// one testbed at a time: a second installed emulator on the same host would never be reached
let bed: EcsTestbed;
afterEach(() => {
  expect(bed.emulator.violations.problems).toEqual([]);
  bed.close();
});

describe('aws-ecs under faults and at scale', () => {
  it('30% of calls throttled: converges, and no slice ever gets a second service', async () => {
    bed = ecsTestbed({ maxAttempts: 3 });
    bed.emulator.throttle(0.3, 7);
    const p = bed.provider();
    const slices = ['us-east-1a', 'us-east-1b', 'us-east-1c'].flatMap((z) => [
      sliceOf(bed.fleet, 'web', z, 2),
      sliceOf(bed.fleet, 'api', z, 1),
    ]);
    const observed = await converge(bed, p, slices, 200);
    expect(observed).toHaveLength(6);
    expect(bed.emulator.faults.injected.throttle).toBeGreaterThan(5);
    const services = [...bed.emulator.services.values()];
    expect(services).toHaveLength(6);
    expect(services.every((s) => s.status === 'ACTIVE')).toBe(true);
    // every throttled create was retried with the same token; exactly one success per service
    expect(bed.emulator.log.entries.filter((e) => e.operation === 'CreateService' && e.status === 200)).toHaveLength(6);
    expect(bed.emulator.taskDefs.get('sf_fleet1_aws-east_web')).toHaveLength(1);
    // a re-apply through all the throttling writes nothing
    bed.emulator.throttle(0);
    for (const s of slices) expect(await p.apply(s)).toEqual({ changed: false, writes: 0 });
  });

  it('API economy: steady-state observe + apply of 50 deployments makes no write, 1 ListServices page per 100 services, 1 DescribeServices per 10', async () => {
    bed = ecsTestbed();
    const p = bed.provider();
    const slices = Array.from({ length: 50 }, (_, i) =>
      sliceOf(bed.fleet, `app${i}`, ['us-east-1a', 'us-east-1b'][i % 2]!, 1),
    );
    await converge(bed, p, slices, 100);
    bed.advance(2000);
    await p.observe({ fleet: bed.fleet }); // tasks already seen ready: nothing moves
    const mark = bed.emulator.log.mark();
    const observed = await p.observe({ fleet: bed.fleet });
    for (const s of slices) expect(await p.apply(s)).toEqual({ changed: false, writes: 0 });
    expect(observed.filter((o) => o.ready === 1)).toHaveLength(50);
    const ops = bed.emulator.log.operations(mark);
    expect(bed.emulator.log.writes(mark)).toEqual([]);
    expect(bed.emulator.log.count('ListServices', mark)).toBe(1);
    expect(bed.emulator.log.count('DescribeServices', mark)).toBe(5);
    expect(ops).toHaveLength(6);
    // 150 services in the cluster (100 of another fleet): still one page per 100 listed, and only ours described
    const otherFleet = new AwsEcsProvider(bed.settings, { fleet: 'other' }, { client: bed.client, clock: bed.clock });
    for (let i = 0; i < 100; i++) await otherFleet.apply(sliceOf('other', `n${i}`, 'us-east-1c', 0));
    bed.advance(bed.emulator.consistencyLagMs); // once ListServices shows them (ECS lists lag writes)
    await p.observe({ fleet: bed.fleet });
    const m2 = bed.emulator.log.mark();
    await p.observe({ fleet: bed.fleet });
    expect([
      bed.emulator.log.count('ListServices', m2),
      bed.emulator.log.count('DescribeServices', m2),
      bed.emulator.log.since(m2).length,
    ]).toEqual([2, 5, 7]);
  });
});
