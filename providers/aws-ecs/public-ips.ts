/**
 * Public IPs of Fargate tasks. In `awsvpc` mode DescribeTasks reports only the task ENI's private
 * IPv4; with `assignPublicIp: ENABLED` the public one is on the ENI, read with EC2
 * DescribeNetworkInterfaces (`Association.PublicIp`). The EC2 client (`@aws-sdk/client-ec2`) is an
 * optional dependency (installed by default; `npm install --omit=optional` leaves it out), loaded
 * only when a target assigns public IPs.
 */
import { createRequire } from 'node:module';

/** The part of `@aws-sdk/client-ec2` used here. */
export interface Ec2Module {
  EC2Client: new (
    config: Record<string, unknown>,
  ) => {
    send(command: unknown): Promise<{
      NetworkInterfaces?: Array<{ NetworkInterfaceId?: string; Association?: { PublicIp?: string } }>;
    }>;
    destroy(): void;
  };
  DescribeNetworkInterfacesCommand: new (input: { Filters: Array<{ Name: string; Values: string[] }> }) => unknown;
}

export const EC2_PACKAGE = '@aws-sdk/client-ec2';

/** Whether `@aws-sdk/client-ec2` can be loaded (resolved, not imported). */
export function ec2ClientInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(EC2_PACKAGE);
    return true;
  } catch {
    return false;
  }
}

/** Imports `@aws-sdk/client-ec2` (on first use: it is large, and optional). */
export async function loadEc2Module(): Promise<Ec2Module> {
  return (await import('@aws-sdk/client-ec2')) as unknown as Ec2Module;
}

/**
 * A resolver of ENI ids to public IPs through EC2 DescribeNetworkInterfaces, filtered by ENI id
 * (a filter, not NetworkInterfaceIds: an ENI deleted meanwhile is absent, not an error), 200 ids a
 * call. The client is made on first use with the ECS client's region and credentials.
 */
export function ec2PublicIpResolver(
  load: () => Promise<Ec2Module>,
  config: () => Record<string, unknown>,
): { resolve: (eniIds: string[]) => Promise<Record<string, string>>; close: () => void } {
  let client: { mod: Ec2Module; c: InstanceType<Ec2Module['EC2Client']> } | undefined;
  return {
    async resolve(eniIds) {
      if (!client) {
        const mod = await load();
        client = { mod, c: new mod.EC2Client(config()) };
      }
      const out: Record<string, string> = {};
      for (let i = 0; i < eniIds.length; i += 200) {
        const res = await client.c.send(
          new client.mod.DescribeNetworkInterfacesCommand({
            Filters: [{ Name: 'network-interface-id', Values: eniIds.slice(i, i + 200) }],
          }),
        );
        for (const ni of res.NetworkInterfaces ?? [])
          if (ni.NetworkInterfaceId && ni.Association?.PublicIp) out[ni.NetworkInterfaceId] = ni.Association.PublicIp;
      }
      return out;
    },
    close() {
      client?.c.destroy();
    },
  };
}

/**
 * How a target resolves public IPs: none without `assignPublicIp`; the resolver given in the
 * provider options; else EC2 through `@aws-sdk/client-ec2` (the `ec2Module` option, or the
 * installed package; `ec2Module: null` as if it were not); undefined when none can.
 */
export function publicIpResolver(
  settings: { assignPublicIp: boolean },
  options: {
    resolvePublicIps?: (eniIds: string[]) => Promise<Record<string, string>>;
    ec2Module?: (() => Promise<Ec2Module>) | null;
  },
  config: () => Record<string, unknown>,
): { resolve: (eniIds: string[]) => Promise<Record<string, string>>; close?: () => void } | undefined {
  if (!settings.assignPublicIp) return undefined;
  if (options.resolvePublicIps) return { resolve: options.resolvePublicIps };
  const load =
    options.ec2Module === null ? undefined : (options.ec2Module ?? (ec2ClientInstalled() ? loadEc2Module : undefined));
  return load ? ec2PublicIpResolver(load, config) : undefined;
}
