// PostgreSQL rows as pg returns them (BIGINT as text) and the records they become.
import type { TokenRecord } from './api-store.js';
import type { GitSourceRecord, GitSyncError, SyncedDeployment } from './git-source-store.js';
import type { DeploymentRecord, EventRecord, Lease, RevisionRecord } from './store.js';

export interface DeploymentRow {
  name: string;
  spec: DeploymentRecord['spec'];
  revision: string;
  generation: string;
  updated_at: string;
  resource_version: string;
}
export interface TokenRow {
  id: string;
  name: string;
  role: TokenRecord['role'];
  hash: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}
export const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  hash: r.hash,
  createdAt: Number(r.created_at),
  expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});
export interface RevisionRow {
  deployment: string;
  revision: string;
  number: number;
  template: RevisionRecord['template'];
  created_at: string;
  change_cause: string | null;
  placement: RevisionRecord['placement'] | null;
}
export interface GitSourceRow {
  name: string;
  repo: string;
  branch: string;
  path: string;
  interval_ms: string;
  prune: boolean;
  webhook_secret: string | null;
  last_seen_commit: string | null;
  last_synced_commit: string | null;
  last_error: GitSyncError | null;
  synced: SyncedDeployment[];
  last_check_at: string | null;
  created_at: string;
  updated_at: string;
}
export const toGitSource = (r: GitSourceRow): GitSourceRecord => ({
  name: r.name,
  repo: r.repo,
  branch: r.branch,
  path: r.path,
  intervalMs: Number(r.interval_ms),
  prune: r.prune,
  webhookSecret: r.webhook_secret,
  lastSeenCommit: r.last_seen_commit,
  lastSyncedCommit: r.last_synced_commit,
  lastError: r.last_error,
  synced: r.synced,
  lastCheckAt: r.last_check_at === null ? null : Number(r.last_check_at),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});
export interface EventRow {
  id: string;
  time: string;
  deployment: string | null;
  type: EventRecord['type'];
  reason: string;
  message: string;
}
export interface LeaseRow {
  name: string;
  holder: string;
  token: string;
  expires_at: string;
}

// BIGINT comes back from pg as a string (it may not fit a double); epoch ms and counters do.
export const toDeployment = (r: DeploymentRow): DeploymentRecord => ({
  name: r.name,
  spec: r.spec,
  revision: r.revision,
  generation: Number(r.generation),
  resourceVersion: Number(r.resource_version),
  updatedAt: Number(r.updated_at),
});
export const toRevision = (r: RevisionRow): RevisionRecord => ({
  deployment: r.deployment,
  revision: r.revision,
  number: Number(r.number),
  template: r.template,
  createdAt: Number(r.created_at),
  ...(r.change_cause ? { cause: r.change_cause } : {}),
  ...(r.placement ? { placement: r.placement } : {}),
});
export const toEvent = (r: EventRow): EventRecord => ({
  id: Number(r.id),
  time: Number(r.time),
  deployment: r.deployment,
  type: r.type,
  reason: r.reason,
  message: r.message,
});
export const toLease = (r: LeaseRow): Lease => ({
  name: r.name,
  holder: r.holder,
  token: Number(r.token),
  expiresAt: Number(r.expires_at),
});
