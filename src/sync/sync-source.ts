import { SkyfleetError, ValidationError, type ValidationIssue } from '../errors/index.js';
import { NotFoundError } from '../errors/index.js';
import type { Deployment } from '../spec/deployment.js';
import type { GitSourceRecord, GitSourceStore, GitSyncError, GitSyncStatus } from '../store/git-source-store.js';
import type { DeploymentRecord } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import { type GitRunner, gitSourceReader, type SpecFile } from './git-source-reader.js';
import { type FieldDrift, filesOf, planSync } from './plan-sync.js';
import { redactRepo } from './redact-repo.js';

/** What a sync needs of a fleet: the same calls `skyfleet apply` and `skyfleet delete` make. */
export interface SyncFleet {
  /** Every check apply makes before its first write; throws what apply would. */
  validate(d: Deployment): Promise<Deployment>;
  apply(d: Deployment, options?: { wait?: boolean; signal?: AbortSignal }): Promise<{ revision: string }>;
  delete(name: string, options?: { signal?: AbortSignal }): Promise<unknown>;
  list(): Promise<DeploymentRecord[]>;
}

/** Reads a source's repository: the branch's head (cheap), and the specs under a path at a commit. */
export interface GitReader {
  head(branch: string): Promise<string>;
  specsAt(commit: string, path: string): Promise<SpecFile[]>;
}

export interface SyncDeps {
  store: GitSourceStore;
  fleet: SyncFleet;
  clock: Clock;
  /** The reader of a repository; defaults to the git CLI (`gitSourceReader`), with `git` if given. */
  reader?: (repo: string) => GitReader;
  git?: GitRunner;
  /** Wait for each apply to converge (the CLI), or return after its first step (the controller). */
  wait?: boolean;
  signal?: AbortSignal;
}

export interface SyncedApply {
  name: string;
  file: string;
  revision: string;
  /** `create`: new; `update`: git changed it; `revert`: the store was changed by hand since the last sync. */
  action: 'create' | 'update' | 'revert';
  fields: FieldDrift[];
}

/** What one sync pass did. */
export interface SyncReport {
  source: string;
  /** The branch's head (null when the head check failed). */
  commit: string | null;
  /**
   * `synced`: a new commit was applied whole; `unchanged`: the head was the commit synced last
   * (no git read but the head check; manual changes since are reverted); `invalid`: the head
   * commit's specs are wrong, nothing of it was applied; `failed`: git or an apply failed (the
   * next pass tries again).
   */
  outcome: 'synced' | 'unchanged' | 'invalid' | 'failed';
  applied: SyncedApply[];
  unchanged: string[];
  /** Deployments of this source whose files are gone, deleted (`prune`). */
  pruned: string[];
  /** Deployments of this source whose files are gone, kept (no `prune`). */
  orphaned: string[];
  error: GitSyncError | null;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The issues of an admission error, each under the file that declares the deployment. */
function issuesIn(file: string, e: unknown): ValidationIssue[] {
  if (e instanceof ValidationError) return e.issues.map((i) => ({ path: `${file}: ${i.path}`, message: i.message }));
  return [{ path: file, message: messageOf(e) }];
}

/**
 * One sync pass of a git source: one head check; when the head is the commit synced last, no
 * other git read (drift from the store's desired state is reverted from the specs kept at that
 * sync); else the whole commit is read and every spec admitted before any is applied (a commit
 * with one invalid spec applies nothing and records the file and field). Deployments of this
 * source whose files are gone are deleted with `prune`, else reported as orphaned. Applies and
 * deletes go through the fleet as `skyfleet apply` and `skyfleet delete` do; each revision records
 * the commit it came from (its change cause).
 */
export async function syncSource(deps: SyncDeps, name: string): Promise<SyncReport> {
  const source = await deps.store.getGitSource(name);
  if (!source) throw new NotFoundError('git source', name, 'register it with `skyfleet sync --repo ...`');
  const reader = (deps.reader ?? ((repo: string) => gitSourceReader(repo, deps.git)))(source.repo);
  const report: SyncReport = {
    source: name,
    commit: null,
    outcome: 'failed',
    applied: [],
    unchanged: [],
    pruned: [],
    orphaned: [],
    error: null,
  };
  const record = async (status: GitSyncStatus) => {
    await deps.store.recordGitSync(name, { lastCheckAt: deps.clock.now(), ...status }, deps.clock.now());
  };
  const fail = async (kind: GitSyncError['kind'], message: string, issues: ValidationIssue[] = []) => {
    const error: GitSyncError = { kind, commit: report.commit, at: deps.clock.now(), message, issues };
    report.outcome = kind;
    report.error = error;
    const repeated = source.lastError?.commit === error.commit && source.lastError?.message === message;
    await record({ lastSeenCommit: report.commit ?? source.lastSeenCommit, lastError: error });
    if (!repeated)
      await deps.store.addEvent({
        time: deps.clock.now(),
        deployment: null,
        type: 'Warning',
        reason: kind === 'invalid' ? 'SyncInvalid' : 'SyncFailed',
        message: `git source ${name}: ${message}`,
      });
    return report;
  };

  try {
    report.commit = await reader.head(source.branch);
  } catch (e) {
    return fail(
      'failed',
      `the head of ${source.branch} in ${redactRepo(source.repo)} cannot be read: ${redactRepo(messageOf(e))}`,
    );
  }
  const commit = report.commit;
  // a commit already found invalid is not read again (the head check alone, until a new commit)
  if (source.lastError?.kind === 'invalid' && source.lastError.commit === commit) {
    report.outcome = 'invalid';
    report.error = source.lastError;
    await record({ lastSeenCommit: commit });
    return report;
  }
  const unchanged = commit === source.lastSyncedCommit;
  let files: SpecFile[];
  if (unchanged) files = filesOf(source.synced);
  else {
    try {
      files = await reader.specsAt(commit, source.path);
    } catch (e) {
      if (e instanceof ValidationError)
        return fail('invalid', `commit ${commit.slice(0, 12)} has invalid specs: nothing of it was applied`, [
          ...e.issues,
        ]);
      return fail('failed', `commit ${commit.slice(0, 12)} cannot be read: ${redactRepo(messageOf(e))}`);
    }
  }

  const plan = planSync({ source: name, commit, files, stored: await deps.fleet.list() });
  const issues = [...plan.issues];
  for (const a of plan.apply) {
    try {
      await deps.fleet.validate(a.deployment);
    } catch (e) {
      if (!(e instanceof SkyfleetError)) throw e;
      issues.push(...issuesIn(a.file, e));
    }
  }
  if (issues.length)
    return fail('invalid', `commit ${commit.slice(0, 12)} cannot be applied: nothing of it was applied`, issues);

  for (const a of plan.apply) {
    try {
      const r = await deps.fleet.apply(a.deployment, { wait: deps.wait ?? false, signal: deps.signal });
      report.applied.push({
        name: a.name,
        file: a.file,
        revision: r.revision,
        action: a.action === 'create' ? 'create' : unchanged ? 'revert' : 'update',
        fields: a.fields,
      });
    } catch (e) {
      return fail(
        'failed',
        `deployment ${a.name} (${a.file}) of commit ${commit.slice(0, 12)} failed to apply: ${messageOf(e)}`,
      );
    }
  }
  report.unchanged = plan.unchanged;
  if (source.prune) {
    for (const gone of plan.gone) {
      try {
        await deps.fleet.delete(gone, { signal: deps.signal });
        report.pruned.push(gone);
      } catch (e) {
        return fail(
          'failed',
          `deployment ${gone}, whose file is gone from commit ${commit.slice(0, 12)}, failed to delete: ${messageOf(e)}`,
        );
      }
    }
  } else report.orphaned = plan.gone;

  report.outcome = unchanged ? 'unchanged' : 'synced';
  await record({
    lastSeenCommit: commit,
    lastSyncedCommit: commit,
    lastError: null,
    ...(unchanged ? {} : { synced: plan.synced }),
  });
  if (!unchanged || report.applied.length || report.pruned.length) {
    const what = [...report.applied.map((a) => `${a.action} ${a.name}`), ...report.pruned.map((p) => `prune ${p}`)];
    await deps.store.addEvent({
      time: deps.clock.now(),
      deployment: null,
      type: 'Normal',
      reason: unchanged ? 'SyncReverted' : 'Synced',
      message: `git source ${name} at ${commit.slice(0, 12)}: ${what.join(', ') || 'nothing to change'}${report.orphaned.length ? `; orphaned (no --prune): ${report.orphaned.join(', ')}` : ''}`,
    });
  }
  return report;
}

/** The source as the API and the CLI show it: the webhook secret never, only whether there is one. */
export type PublicGitSource = Omit<GitSourceRecord, 'webhookSecret' | 'synced'> & {
  hasWebhookSecret: boolean;
  /** The deployments of the last synced commit, by name, with their files. */
  deployments: Array<{ name: string; file: string }>;
};

export function publicSource(s: GitSourceRecord): PublicGitSource {
  const { webhookSecret, synced, ...rest } = s;
  return {
    ...rest,
    repo: redactRepo(s.repo),
    hasWebhookSecret: !!webhookSecret,
    deployments: synced.map((d) => ({ name: d.deployment.metadata.name, file: d.file })),
  };
}
