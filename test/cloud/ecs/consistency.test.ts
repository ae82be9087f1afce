/**
 * The aws-ecs provider through ECS's eventual consistency ("The Amazon ECS API follows an eventual
 * consistency model ... the result of an API command you run that affects your Amazon ECS
 * resources might not be immediately visible to all subsequent commands you run":
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html, RunTask in
 * emulators/reference/aws-ecs/ecs-2014-11-13.service-2.full.json). Right after a write the emulator's
 * ListServices/DescribeServices/ListTasks/DescribeTasks show what was there before, and a service's
 * tags show later than the service. No read taken at face value may make the provider write again,
 * take a service for someone else's, or lose one.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { AwsEcsProvider, serviceName } from '../../../providers/aws-ecs/index.js';
import { type EcsTestbed, ecsTestbed } from '../../emulators/ecs/index.js';
import { sliceOf } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
let bed: EcsTestbed;
afterEach(() => {
  expect(bed.emulator.violations.problems).toEqual([]);
  bed.close();
});

const LAG = { consistencyLagMs: 3000, tagLagMs: 6000 };
/** A provider instance that has not seen any write (another controller, a restart). */
const fresh = () => new AwsEcsProvider(bed.settings, { fleet: bed.fleet }, { client: bed.client, clock: bed.clock });

it('right after a create: a re-apply writes nothing and observe reports the slice, though ECS reads do not show it yet', async () => {
  bed = ecsTestbed({ emulator: LAG });
  const p = bed.provider();
  const s = sliceOf(bed.fleet, 'web', 'us-east-1a', 2);
  expect(await p.apply(s)).toEqual({ changed: true, writes: 2 });
  const mark = bed.emulator.log.mark();
  // DescribeServices answers MISSING: taken as stale, not as "absent, create it again"
  expect(await p.apply(s)).toEqual({ changed: false, writes: 0 });
  expect(bed.emulator.log.since(mark).find((e) => e.operation === 'DescribeServices')?.response).toMatchObject({
    services: [],
    failures: [{ reason: 'MISSING' }],
  });
  const [o] = await p.observe({ fleet: bed.fleet });
  expect(o).toMatchObject({ key: s.key, replicas: 2, ready: 0 });
  expect(o!.replicaStatus.map((r) => r.state)).toEqual(['pending', 'pending']);
  expect(bed.emulator.log.writes(mark)).toEqual([]);
  expect(bed.emulator.log.count('ListTasks', mark)).toBe(0); // nothing to list for a service ECS does not show yet
});

it('right after a scale: observe reports the new count and a re-apply writes nothing, while ECS describes the old one', async () => {
  bed = ecsTestbed({ emulator: LAG });
  const p = bed.provider();
  const s = sliceOf(bed.fleet, 'web', 'us-east-1a', 1);
  await p.apply(s);
  bed.advance(LAG.tagLagMs);
  await p.observe({ fleet: bed.fleet });
  expect(await p.apply({ ...s, replicas: 3 })).toEqual({ changed: true, writes: 1 });
  const mark = bed.emulator.log.mark();
  const [o] = await p.observe({ fleet: bed.fleet });
  expect(o).toMatchObject({ replicas: 3 });
  expect(await p.apply({ ...s, replicas: 3 })).toEqual({ changed: false, writes: 0 });
  // what ECS answered meanwhile: the desired count before the update
  const described = bed.emulator.log.since(mark).find((e) => e.operation === 'DescribeServices');
  expect((described!.response as { services: Array<{ desiredCount: number }> }).services[0]?.desiredCount).toBe(1);
});

it('tags that show later than the service: another instance takes the service as ours (by its name), not ready, and forces no new deployment', async () => {
  // the service shows at once, its tags 6 s later
  bed = ecsTestbed({ emulator: { consistencyLagMs: 0, tagLagMs: 6000 } });
  const s = sliceOf(bed.fleet, 'web', 'us-east-1a', 2);
  await bed.provider().apply(s);
  bed.advance(5000); // its tasks run by now
  const other = fresh();
  const mark = bed.emulator.log.mark();
  const [o] = await other.observe({ fleet: bed.fleet });
  expect(o).toMatchObject({ key: s.key, replicas: 2, ready: 0 });
  // without the tags, whether the tasks are health-checked and which ports they serve is unknown
  expect(o!.replicaStatus.map((r) => [r.state, r.endpoints])).toEqual([
    ['starting', []],
    ['starting', []],
  ]);
  expect(o!.replicaStatus[0]!.message).toMatch(/tags do not show yet/);
  expect(await other.apply(s)).toEqual({ changed: false, writes: 0 });
  expect(await other.apply({ ...s, replicas: 3 })).toEqual({ changed: true, writes: 1 });
  const writes = bed.emulator.log.writes(mark);
  expect(writes.map((e) => e.operation)).toEqual(['UpdateService']);
  expect(writes[0]!.body).toEqual({ cluster: 'skyfleet', service: serviceName('aws-east', s.key), desiredCount: 3 });
  // once the tags show, the replicas are ready
  bed.advance(2000);
  const [later] = await other.observe({ fleet: bed.fleet });
  expect(later!.ready).toBe(2);
});

it('after an in-place update and its re-tag, a re-apply does not take the old tags ECS still shows for drift', async () => {
  bed = ecsTestbed({ emulator: LAG });
  const s = sliceOf(bed.fleet, 'web', 'us-east-1a', 1);
  await bed.provider().apply(s);
  bed.advance(LAG.tagLagMs);
  const changed = new AwsEcsProvider(
    { ...bed.settings, securityGroups: ['sg-0new0000'] },
    { fleet: bed.fleet },
    { client: bed.client, clock: bed.clock },
  );
  expect(await changed.apply(s)).toEqual({ changed: true, writes: 2 }); // UpdateService + TagResource
  const mark = bed.emulator.log.mark();
  expect(await changed.apply(s)).toEqual({ changed: false, writes: 0 });
  expect(bed.emulator.log.writes(mark)).toEqual([]);
  // what ECS answered meanwhile: the spec hash before the update
  const described = bed.emulator.log.since(mark).find((e) => e.operation === 'DescribeServices');
  const tags = (described!.response as { services: Array<{ tags: Array<{ key: string; value: string }> }> })
    .services[0]!.tags;
  const hash = (t: typeof tags) => t.find((x) => x.key === 'skyfleet.dev/spec-hash')?.value;
  const written = bed.emulator.services.get(`skyfleet/${serviceName('aws-east', s.key)}`)!.tags;
  expect(hash(tags)).not.toBe(hash(written));
  expect(
    bed.emulator.log.entries.filter(
      (e) => e.operation === 'UpdateService' && (e.body as { forceNewDeployment?: boolean }).forceNewDeployment,
    ),
  ).toHaveLength(1);
});

it('remove right after another instance created the slice: the service is deleted though ECS does not show it yet', async () => {
  bed = ecsTestbed({ emulator: LAG });
  const s = sliceOf(bed.fleet, 'web', 'us-east-1a', 2);
  await bed.provider().apply(s);
  expect(await fresh().remove(s.key)).toEqual({ changed: true, writes: 1 });
  const svc = bed.emulator.services.get(`skyfleet/${serviceName('aws-east', s.key)}`)!;
  expect(svc.status).toBe('DRAINING');
  expect(bed.emulator.aliveTasks(svc.name, 'skyfleet')).toEqual([]);
  // an absent slice: DeleteService answers ServiceNotFound, and nothing changed
  expect(await fresh().remove({ ...s.key, deployment: 'nothing' })).toEqual({ changed: false, writes: 0 });
});
