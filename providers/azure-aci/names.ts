import { createHash } from 'node:crypto';
import { LABELS } from '../../src/provider/labels.js';

/**
 * Container group names: 1-63 lowercase letters, digits and hyphens, no hyphen at either end and
 * no two in a row, unique within the resource group ("Naming rules and restrictions for Azure
 * resources", Microsoft.ContainerInstance; the spec itself has no pattern, see
 * /work/shared/reference/README.md section 1).
 */
export const GROUP_NAME = /^(?!.*--)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const MAX_GROUP_NAME = 63;

export function isValidGroupName(name: string): boolean {
  return GROUP_NAME.test(name);
}

/** Lowercases, turns anything else into single hyphens and trims them. */
function clean(part: string): string {
  return part
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

function shortHash(text: string, n = 6): string {
  return createHash('sha256').update(text).digest('hex').slice(0, n);
}

/**
 * The name of replica `ordinal` of a slice: `<fleet>-<deployment>-<revision>-<zone>-<ordinal>`.
 * When that is longer than 63 characters, the fleet+deployment prefix is cut and a hash of the
 * full identity keeps names distinct; revision, zone and ordinal always stay readable at the end.
 */
export function groupName(parts: {
  fleet: string;
  deployment: string;
  revision: string;
  zone: string;
  ordinal: number;
}): string {
  const tail = [clean(parts.revision).slice(0, 10), clean(parts.zone), String(parts.ordinal)].filter(Boolean).join('-');
  const head = [clean(parts.fleet), clean(parts.deployment)].filter(Boolean).join('-');
  const full = `${head}-${tail}`;
  if (full.length <= MAX_GROUP_NAME) return full;
  const hash = shortHash(`${parts.fleet}\n${parts.deployment}\n${parts.revision}\n${parts.zone}\n${parts.ordinal}`);
  const budget = MAX_GROUP_NAME - tail.length - hash.length - 2;
  const cut = head.slice(0, Math.max(1, budget)).replace(/-+$/, '');
  return `${cut}-${hash}-${tail}`.slice(0, MAX_GROUP_NAME).replace(/-+$/, '');
}

/**
 * Azure tag names cannot contain `<`, `>`, `%`, `&`, `\`, `?` or `/` (ARM tag rules), so label
 * keys such as `skyfleet.dev/fleet` are written as `skyfleet.dev.fleet`.
 */
export function tagKey(labelKey: string): string {
  return labelKey.replace(/[<>%&\\?/]/g, '.');
}

/** The tags that carry a replica's identity (see src/provider/labels.ts). */
export const TAGS = {
  managedBy: tagKey(LABELS.managedBy),
  fleet: tagKey(LABELS.fleet),
  deployment: tagKey(LABELS.deployment),
  revision: tagKey(LABELS.revision),
  target: tagKey(LABELS.target),
  domain: tagKey(LABELS.domain),
  ordinal: tagKey(LABELS.ordinal),
  /** Hash of the container group spec skyfleet sent (secret values excluded): a cheap no-op check. */
  spec: 'skyfleet.dev.spec',
  /** Named container ports (`http=8080,metrics=9090`): ACI keeps numbers only. */
  ports: 'skyfleet.dev.ports',
} as const;
