/**
 * Public IPs of Fargate tasks: in awsvpc mode DescribeTasks reports only the ENI's private IPv4
 * (model: Task.attachments[].details privateIPv4Address; no public address member), so with
 * assignPublicIp ENABLED the provider reads them with EC2 DescribeNetworkInterfaces
 * (Association.PublicIp) through `@aws-sdk/client-ec2`, loaded lazily and by default (from YAML and
 * the CLI, not only through an SDK option). `publicEndpoints` is true only when they can be resolved.
 * `@aws-sdk/client-ec2` is an optional dependency installed by default: the default path sends a
 * real EC2 query request to the emulator's EC2 endpoint (emulators/aws-ecs/ec2-network-interfaces.ts);
 * `ec2Module` stands in for it where a test looks at the client's config, or (null) for a machine
 * without it.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Ec2Module } from '../../../providers/aws-ecs/public-ips.js';
import { ec2ClientInstalled } from '../../../providers/aws-ecs/public-ips.js';
import type { ObservedSlice } from '../../../src/provider/provider.js';
import { type EcsTestbed, ecsTestbed } from '../../emulators/ecs/index.js';
import { converge, sliceOf } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());

let bed: EcsTestbed;
afterEach(() => {
  expect(bed.emulator.violations.problems).toEqual([]);
  bed.close();
});

function ec2StandIn(b: () => EcsTestbed, calls: unknown[]): Ec2Module {
  class DescribeNetworkInterfacesCommand {
    constructor(readonly input: { Filters: Array<{ Name: string; Values: string[] }> }) {}
  }
  class EC2Client {
    constructor(readonly config: Record<string, unknown>) {}
    async send(command: DescribeNetworkInterfacesCommand) {
      const { region, endpoint } = this.config;
      calls.push({ config: { region, ...(endpoint ? { endpoint } : {}) }, input: command.input });
      const ids = command.input.Filters.find((f) => f.Name === 'network-interface-id')?.Values ?? [];
      return {
        NetworkInterfaces: ids.map((id) => ({
          NetworkInterfaceId: id,
          ...(b().emulator.publicIpOf(id) ? { Association: { PublicIp: b().emulator.publicIpOf(id) } } : {}),
        })),
      };
    }
    destroy() {}
  }
  return { EC2Client, DescribeNetworkInterfacesCommand } as unknown as Ec2Module;
}

/** The slice's endpoints are its tasks' public IPs (54.x, as the emulator assigns them). */
function expectPublicIps(o: ObservedSlice): void {
  const hosts = o.replicaStatus.flatMap((r) => r.endpoints.map((e) => e.host)).sort();
  const expected = bed.emulator
    .aliveTasks([...bed.emulator.services.values()][0]!.name)
    .map((t) => t.publicIp!)
    .sort();
  expect(hosts).toEqual(expected);
  expect(hosts.every((h) => h.startsWith('54.'))).toBe(true);
}

describe('aws-ecs public IPs', () => {
  it('assignPublicIp with the EC2 client: endpoints carry the ENIs’ public IPs, publicEndpoints true', async () => {
    bed = ecsTestbed({ settings: { assignPublicIp: true } });
    const calls: unknown[] = [];
    const mod = ec2StandIn(() => bed, calls);
    const p = bed.provider({ ec2Module: async () => mod });
    expect(p.describe().capabilities.publicEndpoints).toBe(true);
    expect(p.describe().notes).toBeUndefined();
    const [o] = await converge(bed, p, [sliceOf(bed.fleet, 'web', 'us-east-1a', 2)]);
    expectPublicIps(o!);
    expect(calls[0]).toMatchObject({
      config: { region: 'us-east-1' },
      input: { Filters: [{ Name: 'network-interface-id', Values: expect.any(Array) }] },
    });
  });

  it("ec2Endpoint is the EC2 client's endpoint (ECS's own endpoint is not)", async () => {
    bed = ecsTestbed({
      settings: { assignPublicIp: true, endpoint: 'https://ecs.vpce.example', ec2Endpoint: 'https://ec2.vpce.example' },
    });
    const calls: Array<{ config: Record<string, unknown> }> = [];
    const p = bed.provider({ ec2Module: async () => ec2StandIn(() => bed, calls) });
    await converge(bed, p, [sliceOf(bed.fleet, 'web', 'us-east-1a', 1)]);
    expect(calls[0]?.config).toMatchObject({ region: 'us-east-1', endpoint: 'https://ec2.vpce.example' });
  });

  it('by default (YAML, the CLI): the real EC2 client, DescribeNetworkInterfaces to EC2, the public IPs', async () => {
    expect(ec2ClientInstalled()).toBe(true);
    bed = ecsTestbed({ settings: { assignPublicIp: true } });
    const p = bed.provider();
    expect(p.describe().capabilities.publicEndpoints).toBe(true);
    const mark = bed.emulator.log.mark();
    const [o] = await converge(bed, p, [sliceOf(bed.fleet, 'web', 'us-east-1a', 2)]);
    expectPublicIps(o!);
    const ec2 = bed.emulator.log.since(mark).filter((e) => e.operation === 'ec2.DescribeNetworkInterfaces');
    expect(ec2.length).toBeGreaterThan(0);
    expect(String(ec2[0]!.body)).toMatch(/Action=DescribeNetworkInterfaces.*Filter\.1\.Name=network-interface-id/);
  });

  it('assignPublicIp without the EC2 client: publicEndpoints false and describe says what to install', async () => {
    bed = ecsTestbed({ settings: { assignPublicIp: true } });
    const p = bed.provider({ ec2Module: null });
    expect(p.describe().capabilities.publicEndpoints).toBe(false);
    expect(p.describe().notes).toEqual([expect.stringMatching(/EC2 client \(@aws-sdk\/client-ec2\) is not installed/)]);
    const [o] = await converge(bed, p, [sliceOf(bed.fleet, 'web', 'us-east-1a', 1)]);
    expect(o!.replicaStatus[0]!.endpoints[0]!.host).toMatch(/^10\./);
  });

  it('a private target says the load balancer must run inside the VPC', () => {
    bed = ecsTestbed();
    const d = bed.provider().describe();
    expect(d.capabilities.publicEndpoints).toBe(false);
    expect(d.notes).toEqual([expect.stringMatching(/load balancer .* must run inside that VPC/)]);
  });
});
