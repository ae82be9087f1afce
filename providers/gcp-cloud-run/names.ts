import { createHash } from 'node:crypto';

/**
 * Deterministic names and GCP-legal labels. A service id must start with a letter, hold only
 * lowercase letters, digits and hyphens, not end with a hyphen and be at most 49 characters
 * (CreateServiceRequest.service_id in /work/shared/reference/gcp-cloud-run-v2/proto/service.proto).
 */
export const SERVICE_ID_MAX = 49;
export const SERVICE_ID_PATTERN = /^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$/;

/** GCP label keys may not hold "/" or "."; skyfleet's identity keys are written with "-" here. */
export const GCP_LABELS = {
  managedBy: 'skyfleet-managed-by',
  fleet: 'skyfleet-fleet',
  deployment: 'skyfleet-deployment',
  revision: 'skyfleet-revision',
  target: 'skyfleet-target',
  domain: 'skyfleet-domain',
} as const;

/** Annotations (which may hold "/" and JSON) carry the slice table: revision -> replicas. */
export const ANNOTATIONS = {
  replicas: 'skyfleet.dev/replicas',
  /** The deployment's autoscaling as mapped onto this service (JSON), when Cloud Run scales it. */
  autoscaling: 'skyfleet.dev/autoscaling',
  /**
   * The label keys skyfleet set on the service (sorted, comma-separated). Labels others add (the
   * console, a policy tool such as Cloud Custodian's set-labels) are theirs: skyfleet compares and
   * writes only its own, and keeps the rest.
   */
  labels: 'skyfleet.dev/labels',
} as const;

function trimPart(s: string, max: number): string {
  return s.slice(0, max).replace(/-+$/, '');
}

/**
 * One Cloud Run service per (fleet, target, deployment): `<deployment>-<fleet>-<hash8>`, the hash
 * over all three so that names that truncate alike (or join alike: "a-b"+"c" vs "a"+"b-c") differ.
 */
export function serviceId(fleet: string, target: string, deployment: string): string {
  const hash = createHash('sha256').update(`${fleet}\u0000${target}\u0000${deployment}`).digest('hex').slice(0, 8);
  const dep = trimPart(deployment, 22);
  const fl = trimPart(fleet, 16);
  const id = `${dep}-${fl}-${hash}`;
  return id.length <= SERVICE_ID_MAX ? id : `${trimPart(dep, SERVICE_ID_MAX - 10)}-${hash}`;
}

/** The Cloud Run revision of a skyfleet revision: `<service>-<revision hash>` (at most 60 characters). */
export function revisionName(service: string, revision: string): string {
  return `${service}-${revision}`;
}

/** The skyfleet revision hash of a Cloud Run revision name of this service, or undefined. */
export function revisionOfName(service: string, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const short = name.includes('/revisions/') ? name.slice(name.lastIndexOf('/') + 1) : name;
  return short.startsWith(`${service}-`) ? short.slice(service.length + 1) : undefined;
}

export function parentOf(project: string, region: string): string {
  return `projects/${project}/locations/${region}`;
}

export function serviceName(project: string, region: string, id: string): string {
  return `${parentOf(project, region)}/services/${id}`;
}

/** A user label made GCP-legal: keys and values lowercase `[a-z0-9_-]`, keys start with a letter, at most 63. */
export function gcpLabel(key: string, value: string): [string, string] | undefined {
  const k = key
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '_')
    .slice(0, 63);
  const v = value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '_')
    .slice(0, 63);
  if (!/^[a-z]/.test(k) || k.startsWith('skyfleet-')) return undefined;
  return [k, v];
}
