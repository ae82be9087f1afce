import type { ValidationIssue } from '../errors/index.js';
import { ANNOTATIONS } from '../spec/annotations.js';
import type { Deployment } from '../spec/deployment.js';
import type { SyncedDeployment } from '../store/git-source-store.js';
import type { DeploymentRecord } from '../store/store.js';
import type { SpecFile } from './git-source-reader.js';

/** A field whose value differs between git and the store. */
export interface FieldDrift {
  /** `spec.replicas`, `spec.template.containers[0].image`... */
  path: string;
  git: unknown;
  store: unknown;
}

/** A deployment of the commit to apply: new, changed in git, or changed in the store since (drift). */
export interface PlannedApply {
  name: string;
  file: string;
  /** The spec as git declares it, stamped with its source, commit and file. */
  deployment: Deployment;
  action: 'create' | 'update';
  /** What differs from the store (empty for a create). */
  fields: FieldDrift[];
}

/** What one sync of a commit does: pure, from the commit's specs and the store's deployments. */
export interface SyncPlan {
  apply: PlannedApply[];
  /** Deployments of the commit the store already holds as git declares them. */
  unchanged: string[];
  /** Deployments this source applied whose files are gone from the commit. */
  gone: string[];
  /** What makes the commit unusable: a name declared twice, a deployment another source keeps. */
  issues: ValidationIssue[];
  /** The commit's deployments, stamped: what the next passes measure drift against. */
  synced: SyncedDeployment[];
}

const SYNC_KEYS: readonly string[] = [
  ANNOTATIONS.gitSource,
  ANNOTATIONS.gitCommit,
  ANNOTATIONS.gitFile,
  ANNOTATIONS.changeCause,
];

/** The git source a stored deployment was applied from, if any. */
export const sourceOfDeployment = (d: Deployment): string | undefined =>
  d.metadata.annotations?.[ANNOTATIONS.gitSource];

/** A deployment of a commit, annotated with where it came from (its change cause names the commit). */
export function stamp(d: Deployment, source: string, commit: string, file: string): Deployment {
  return {
    ...d,
    metadata: {
      ...d.metadata,
      annotations: {
        ...d.metadata.annotations,
        [ANNOTATIONS.gitSource]: source,
        [ANNOTATIONS.gitCommit]: commit,
        [ANNOTATIONS.gitFile]: file,
        [ANNOTATIONS.changeCause]: `git ${source}@${commit.slice(0, 12)} ${file}`,
      },
    },
  };
}

/** A spec as compared: plain JSON, without the sync's own annotations (a new commit alone is no change). */
function comparable(d: Deployment): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(d)) as Deployment;
  const annotations = Object.fromEntries(
    Object.entries(plain.metadata.annotations ?? {}).filter(([k]) => !SYNC_KEYS.includes(k)),
  );
  const { annotations: _, ...metadata } = plain.metadata;
  return {
    ...plain,
    metadata: Object.keys(annotations).length ? { ...metadata, annotations } : metadata,
  } as Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function diff(git: unknown, store: unknown, path: string, out: FieldDrift[]): void {
  if (Array.isArray(git) && Array.isArray(store)) {
    for (let i = 0; i < Math.max(git.length, store.length); i++) diff(git[i], store[i], `${path}[${i}]`, out);
    return;
  }
  if (isObject(git) && isObject(store)) {
    const keys = [...new Set([...Object.keys(git), ...Object.keys(store)])].sort();
    for (const k of keys) diff(git[k], store[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(git) !== JSON.stringify(store)) out.push({ path, git, store });
}

/**
 * The fields of `stored` that differ from what git declares. The replica count of an autoscaled
 * deployment is the autoscaler's, not drift.
 */
export function driftFields(git: Deployment, stored: Deployment): FieldDrift[] {
  const out: FieldDrift[] = [];
  diff(comparable(git), comparable(stored), '', out);
  return git.spec.autoscaling ? out.filter((f) => f.path !== 'spec.replicas') : out;
}

/**
 * Plans the sync of `commit` of `source`: every deployment of its files that the store lacks or
 * holds otherwise is applied (a manual change since the last sync is reverted), those of this
 * source whose files are gone are named; a deployment declared twice or kept by another source
 * makes the commit unusable (nothing of it is applied).
 */
export function planSync(input: {
  source: string;
  commit: string;
  files: readonly SpecFile[];
  stored: readonly DeploymentRecord[];
}): SyncPlan {
  const byName = new Map(input.stored.map((r) => [r.name, r]));
  const plan: SyncPlan = { apply: [], unchanged: [], gone: [], issues: [], synced: [] };
  const declared = new Map<string, string>();
  for (const { file, deployments } of input.files) {
    for (const d of deployments) {
      const name = d.metadata.name;
      const first = declared.get(name);
      if (first !== undefined) {
        plan.issues.push({
          path: `${file}: metadata.name`,
          message: `deployment ${name} is also declared in ${first}: declare each deployment in one file`,
        });
        continue;
      }
      declared.set(name, file);
      const stamped = stamp(d, input.source, input.commit, file);
      plan.synced.push({ file, deployment: stamped });
      const prior = byName.get(name);
      const owner = prior && sourceOfDeployment(prior.spec);
      if (owner !== undefined && owner !== input.source) {
        plan.issues.push({
          path: `${file}: metadata.name`,
          message: `deployment ${name} is synced from git source ${owner}: rename it, or delete it from that source first`,
        });
        continue;
      }
      if (!prior) {
        plan.apply.push({ name, file, deployment: stamped, action: 'create', fields: [] });
        continue;
      }
      const fields = driftFields(stamped, prior.spec);
      if (fields.length) plan.apply.push({ name, file, deployment: stamped, action: 'update', fields });
      else plan.unchanged.push(name);
    }
  }
  for (const r of input.stored)
    if (sourceOfDeployment(r.spec) === input.source && !declared.has(r.name)) plan.gone.push(r.name);
  return plan;
}

/** The synced deployments grouped back into files, as a commit's specs are read. */
export function filesOf(synced: readonly SyncedDeployment[]): SpecFile[] {
  const files = new Map<string, Deployment[]>();
  for (const s of synced) files.set(s.file, [...(files.get(s.file) ?? []), s.deployment]);
  return [...files].map(([file, deployments]) => ({ file, deployments }));
}
