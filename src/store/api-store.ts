import type { Store } from './store.js';

/** What the change feed records: a deployment's desired state changed, or an event was added. */
export interface ChangeRecord {
  /** The feed's sequence number: a deployment's `resourceVersion` is the id of its last change. */
  id: number;
  time: number;
  kind: 'deployment' | 'event';
  /** The deployment the change is about (null for a fleet-wide event). */
  name: string | null;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The deployment record or event as it was written (a deleted deployment: its name only). */
  object: unknown;
}

export type TokenRole = 'viewer' | 'deployer' | 'admin';

/** An API bearer token as stored: its SHA-256 only, never the token itself. */
export interface TokenRecord {
  id: string;
  name: string;
  role: TokenRole;
  /** Hex SHA-256 of the token. */
  hash: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

/** One mutating API request, as the audit keeps it. */
export interface AuditRecord {
  id?: number;
  time: number;
  /** Token name and id (`name/id`). */
  who: string;
  /** Method and path, e.g. `POST /api/v1/deployments`. */
  what: string;
  /** The client's address. */
  from: string;
  status: number;
  /** The revision the request produced, when it made one. */
  revision: string | null;
}

/**
 * What the API server keeps beside desired state (schema 6): the change feed watches read, the
 * hashed tokens, the audit of mutating requests. Both built-in stores implement it.
 */
export interface ApiStore extends Store {
  /** Changes after `after` (oldest first), at most `limit`. */
  listChanges(after: number, limit?: number): Promise<ChangeRecord[]>;
  /** The oldest id still held (0 when the feed is empty) and the newest ever written. */
  feedBounds(): Promise<{ oldest: number; newest: number }>;
  /** Keeps the newest `keep` changes. */
  pruneChanges(keep: number): Promise<void>;
  putToken(token: TokenRecord): Promise<void>;
  getTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  /** Marks a token (by id or name) revoked; false when there is none. */
  revokeToken(idOrName: string, at: number): Promise<boolean>;
  addAudit(record: AuditRecord): Promise<void>;
  /** The newest `limit` audit records, oldest first. */
  listAudit(filter?: { limit?: number }): Promise<AuditRecord[]>;
}

export function isApiStore(store: Store): store is ApiStore {
  return typeof (store as Partial<ApiStore>).listChanges === 'function';
}
