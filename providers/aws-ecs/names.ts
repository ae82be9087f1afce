import { createHash } from 'node:crypto';
import type { Tag } from '@aws-sdk/client-ecs';
import type { SliceKey } from '../../src/provider/provider.js';

/**
 * Deterministic ECS names. Skyfleet names (fleet, target, deployment) are DNS labels and zones are
 * lower-case with "-", none of them may contain "_": so "_" is an unambiguous separator, and a name
 * read back from a ListServices ARN splits into its parts without a Describe call.
 * ECS allows up to 255 letters, digits, "-" and "_" for service names and task definition families.
 */
export const PREFIX = 'sf';
const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$/;

function checked(name: string): string {
  if (!ECS_NAME.test(name)) throw new Error(`internal: "${name}" is not a valid ECS name`);
  return name;
}

/** `sf_<fleet>_<target>_<deployment>_<revision>_<zone>`: one Fargate service per slice. */
export function serviceName(target: string, key: SliceKey): string {
  return checked([PREFIX, key.fleet, target, key.deployment, key.revision, key.zone].join('_'));
}

/** `sf_<fleet>_<target>_<deployment>`: one task definition family per deployment (per target). */
export function familyName(target: string, fleet: string, deployment: string): string {
  return checked([PREFIX, fleet, target, deployment].join('_'));
}

/** The name prefix of every service of a fleet on a target (or of one deployment). */
export function servicePrefix(target: string, fleet: string, deployment?: string): string {
  return [PREFIX, fleet, target, ...(deployment ? [deployment] : [])].join('_') + '_';
}

/** Parses a service name made by `serviceName`; undefined for names skyfleet did not make. */
export function parseServiceName(name: string): { fleet: string; target: string; key: SliceKey } | undefined {
  const parts = name.split('_');
  if (parts.length !== 6 || parts[0] !== PREFIX) return undefined;
  const [, fleet, target, deployment, revision, zone] = parts as [string, string, string, string, string, string];
  return { fleet, target, key: { fleet, deployment, revision, zone } };
}

/** The last segment of an ECS ARN (`arn:aws:ecs:r:a:service/cluster/name` -> `name`). */
export function arnName(arn: string): string {
  const slash = arn.lastIndexOf('/');
  return slash >= 0 ? arn.slice(slash + 1) : arn.slice(arn.lastIndexOf(':') + 1);
}

/**
 * CreateService `clientToken`: at most 36 ASCII characters, derived from the identity and the task
 * definition, so a create retried after a timeout returns the service the first attempt made
 * instead of failing or making a second one. The task definition ARN is part of it because a
 * deleted-and-recreated slice usually gets a new task definition revision, so a stale token of a
 * deleted service is not reused for a new one.
 */
export function clientToken(serviceName: string, taskDefinitionArn: string): string {
  return createHash('sha256').update(`${serviceName}\n${taskDefinitionArn}`).digest('hex').slice(0, 36);
}

/** A short content hash, for the spec-hash tags. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Tag keys skyfleet adds on ECS resources beyond the shared identity labels. */
export const ECS_TAGS = {
  /** Hash of the task definition input: finds an existing revision for the same content. */
  taskDefHash: 'skyfleet.dev/taskdef-hash',
  /** Hash of everything a service is made from except desiredCount: drift detection. */
  specHash: 'skyfleet.dev/spec-hash',
  /** `true` when some container has a health check (else RUNNING counts as ready). */
  healthChecked: 'skyfleet.dev/health-checked',
  /** Container ports, e.g. `8080:http 9090`, for endpoints (Fargate reports no port bindings). */
  ports: 'skyfleet.dev/ports',
} as const;

/** ECS tags (`[{ key, value }]`) as a record. */
export function tagMap(tags: readonly Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.key !== undefined) out[t.key] = t.value ?? '';
  return out;
}
