import type { Deployment } from '../spec/deployment.js';
import type { Store } from './store.js';

/** Why the last sync of a source applied nothing: the commit and each file and field at fault. */
export interface GitSyncError {
  /**
   * `invalid`: the commit's specs are wrong (nothing of it is applied, and it is not read again);
   * `failed`: git or an apply failed (the next pass tries again).
   */
  kind: 'invalid' | 'failed';
  /** The commit that was read (null when the head check itself failed). */
  commit: string | null;
  /** When it happened (epoch ms). */
  at: number;
  message: string;
  /** `file: field` paths with their messages, as validation reports them. */
  issues: Array<{ path: string; message: string }>;
}

/**
 * A git repository whose specs skyfleet keeps applied (`skyfleet sync`). The webhook secret is
 * kept only to verify webhooks: APIs and the CLI return `hasWebhookSecret`, never the secret.
 */
export interface GitSourceRecord {
  name: string;
  /** A local path or a URL git can read (`git ls-remote` works on it). */
  repo: string;
  branch: string;
  /** The folder in the repository whose specs are applied (`.`: all of it). */
  path: string;
  /** How often the controller checks the branch's head, in ms. */
  intervalMs: number;
  /** Delete deployments of this source whose files are gone (else they are reported as orphaned). */
  prune: boolean;
  /** Shared secret of the source's webhook (HMAC); null: webhooks are refused. */
  webhookSecret: string | null;
  /** The branch's head at the last check. */
  lastSeenCommit: string | null;
  /** The last commit applied whole. */
  lastSyncedCommit: string | null;
  lastError: GitSyncError | null;
  /**
   * The deployments of the last synced commit, as applied (with their files): what drift is
   * measured against without reading git again.
   */
  synced: SyncedDeployment[];
  /** When the head was last checked (epoch ms). */
  lastCheckAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A deployment as a sync applied it, and the file of the repository that declares it. */
export interface SyncedDeployment {
  file: string;
  deployment: Deployment;
}

/** What a sync pass writes back: only the status fields, never the source's settings. */
export type GitSyncStatus = Partial<
  Pick<GitSourceRecord, 'lastSeenCommit' | 'lastSyncedCommit' | 'lastError' | 'synced' | 'lastCheckAt'>
>;

/** The git sources beside desired state (schema 7). Both built-in stores implement it. */
export interface GitSourceStore extends Store {
  /** Creates or replaces a source's settings (its status is kept when it exists). */
  putGitSource(record: GitSourceRecord): Promise<GitSourceRecord>;
  getGitSource(name: string): Promise<GitSourceRecord | undefined>;
  /** Every source, by name. */
  listGitSources(): Promise<GitSourceRecord[]>;
  /** False when there was none. The deployments it applied are left as they are. */
  deleteGitSource(name: string): Promise<boolean>;
  /** Updates the status fields given; undefined when the source is gone. */
  recordGitSync(name: string, status: GitSyncStatus, at: number): Promise<GitSourceRecord | undefined>;
}

export function isGitSourceStore(store: Store): store is GitSourceStore {
  return typeof (store as Partial<GitSourceStore>).listGitSources === 'function';
}
