import type { GitSourceRecord } from '../store/git-source-store.js';
import type { DeploymentRecord } from '../store/store.js';
import { type FieldDrift, filesOf, planSync } from './plan-sync.js';
import { type PublicGitSource, publicSource } from './sync-source.js';

/** A deployment whose desired state in the store is not what the last synced commit declares. */
export interface SourceDrift {
  name: string;
  file: string;
  /** `changed`: edited since the sync (a scale, an apply); `missing`: deleted since. */
  kind: 'changed' | 'missing';
  fields: FieldDrift[];
}

export interface SourceStatus {
  source: PublicGitSource;
  /** What differs from the last synced commit: the next sync pass reverts it. */
  drift: SourceDrift[];
  /** Deployments of this source whose files are gone and that were kept (no prune). */
  orphaned: string[];
}

/**
 * Where a source stands, from the store alone (no git read): its last commits and error, and the
 * drift of the store's desired state from the specs of the last synced commit.
 */
export function sourceStatus(source: GitSourceRecord, stored: readonly DeploymentRecord[]): SourceStatus {
  const plan = planSync({
    source: source.name,
    commit: source.lastSyncedCommit ?? '',
    files: filesOf(source.synced),
    stored,
  });
  return {
    source: publicSource(source),
    drift: plan.apply.map((a) => ({
      name: a.name,
      file: a.file,
      kind: a.action === 'create' ? 'missing' : 'changed',
      fields: a.fields,
    })),
    orphaned: plan.gone,
  };
}

/** One line per drifted field, for people: `web spec.replicas: git 2, now 4 (the next sync reverts it)`. */
export function driftLines(drift: readonly SourceDrift[]): string[] {
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  return drift.flatMap((d) =>
    d.kind === 'missing'
      ? [`${d.name} (${d.file}): deleted since the last sync; the next sync applies it again`]
      : d.fields.map(
          (f) =>
            `${d.name} ${f.path}: git ${show(f.git)}, now ${show(f.store)} (changed since the last sync; the next sync reverts it)`,
        ),
  );
}
