import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { SkyfleetError } from '../errors/index.js';
import { deploymentConflict } from './deployment-conflict.js';
import { migrateSqlite } from './sqlite-migrations.js';
import type { RolloutState } from '../rollout/types.js';
import type { ApiStore, AuditRecord, ChangeRecord, TokenRecord } from './api-store.js';
import type {
  GitSourceRecord,
  GitSourceStore,
  GitSyncError,
  GitSyncStatus,
  SyncedDeployment,
} from './git-source-store.js';
import type { Condition, DeploymentRecord, EventRecord, FleetRecord, Lease, RevisionRecord } from './store.js';

type Db = BetterSqlite3.Database;

/** How long opening waits for other processes switching a new store to WAL at the same moment. */
const WAL_SWITCH_WAIT_MS = 10_000;

/**
 * `PRAGMA journal_mode = WAL`, again while another process holds the lock it needs. SQLite does
 * not call the busy handler for this switch when waiting could deadlock (a shared lock held while
 * another connection waits to write), so processes opening one new store at once can get
 * SQLITE_BUSY at once; they wait a little and try again until the first one has switched it.
 */
async function switchToWal(db: Db): Promise<void> {
  const deadline = Date.now() + WAL_SWITCH_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw e;
      await new Promise((r) => setTimeout(r, Math.min(100, 5 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}

/** The default store: SQLite through better-sqlite3, one file (`.skyfleet/state.db`), WAL mode. */
export class SqliteStore implements ApiStore, GitSourceStore {
  private constructor(
    private readonly db: Db,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<SqliteStore> {
    const { default: Database } = await import('better-sqlite3');
    if (path !== ':memory:') {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why =
          code === 'EEXIST' || code === 'ENOTDIR'
            ? `a file is in the way of its directory ${(e as NodeJS.ErrnoException).path ?? dirname(path)}`
            : (e as Error).message;
        throw new SkyfleetError(
          'store_unavailable',
          `cannot create the state store at ${path}: ${why}; point --store at a path in a directory`,
          { cause: e },
        );
      }
    }
    let db: Db;
    try {
      db = new Database(path);
    } catch (e) {
      throw new SkyfleetError('store_unavailable', `cannot open the state store at ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    try {
      db.pragma('busy_timeout = 5000');
      await switchToWal(db);
      db.pragma('foreign_keys = ON');
      migrateSqlite(db);
    } catch (e) {
      db.close();
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new SkyfleetError(
          'store_invalid',
          `${path} is not a skyfleet state store (${(e as Error).message}): point --store at another file, or move this one away`,
          { cause: e },
        );
      }
      throw e;
    }
    return new SqliteStore(db, path);
  }

  async getDeployment(name: string): Promise<DeploymentRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM deployments WHERE name = ?').get(name) as DeploymentRow | undefined;
    return row && toDeployment(row);
  }

  async listDeployments(): Promise<DeploymentRecord[]> {
    return (this.db.prepare('SELECT * FROM deployments ORDER BY name').all() as DeploymentRow[]).map(toDeployment);
  }

  async putDeployment(
    record: Omit<DeploymentRecord, 'generation'>,
    options: { expectGeneration?: number | null } = {},
  ): Promise<DeploymentRecord> {
    const spec = JSON.stringify(record.spec);
    const tx = this.db.transaction((): DeploymentRecord => {
      const prev = this.db
        .prepare('SELECT spec, revision, generation, resource_version FROM deployments WHERE name = ?')
        .get(record.name) as
        | { spec: string; revision: string; generation: number; resource_version: number }
        | undefined;
      if (options.expectGeneration !== undefined && (prev?.generation ?? null) !== options.expectGeneration)
        throw deploymentConflict(record.name, options.expectGeneration, prev);
      const changed = !prev || prev.spec !== spec || prev.revision !== record.revision;
      const generation = !prev ? 1 : prev.spec === spec ? prev.generation : prev.generation + 1;
      let resourceVersion = prev?.resource_version ?? 0;
      const out = { ...record, generation, resourceVersion };
      if (changed) {
        // the feed's id is the record's new resourceVersion (the change carries it too)
        const id = this.db
          .prepare("INSERT INTO changes (time, kind, name, type, object) VALUES (?, 'deployment', ?, ?, '{}')")
          .run(record.updatedAt, record.name, prev ? 'MODIFIED' : 'ADDED').lastInsertRowid;
        resourceVersion = Number(id);
        out.resourceVersion = resourceVersion;
        this.db.prepare('UPDATE changes SET object = ? WHERE id = ?').run(JSON.stringify(out), resourceVersion);
      }
      this.db
        .prepare(
          `INSERT INTO deployments (name, spec, revision, generation, updated_at, resource_version) VALUES (@name, @spec, @revision, @generation, @updatedAt, @rv)
           ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, revision = excluded.revision, generation = excluded.generation, updated_at = excluded.updated_at, resource_version = excluded.resource_version`,
        )
        .run({
          name: record.name,
          spec,
          revision: record.revision,
          generation,
          updatedAt: record.updatedAt,
          rv: resourceVersion,
        });
      return out;
    });
    return tx.immediate();
  }

  async deleteDeployment(name: string): Promise<void> {
    this.db.transaction(() => {
      const gone = this.db.prepare('DELETE FROM deployments WHERE name = ?').run(name).changes;
      if (gone)
        this.db
          .prepare("INSERT INTO changes (time, kind, name, type, object) VALUES (?, 'deployment', ?, 'DELETED', ?)")
          .run(Date.now(), name, JSON.stringify({ name }));
      this.db.prepare('DELETE FROM conditions WHERE deployment = ?').run(name);
      this.db.prepare('DELETE FROM rollouts WHERE deployment = ?').run(name);
      this.db.prepare('DELETE FROM autoscalers WHERE deployment = ?').run(name);
      this.db.prepare('DELETE FROM revisions WHERE deployment = ?').run(name);
    })();
  }

  async putRevision(
    deployment: string,
    revision: string,
    template: RevisionRecord['template'],
    at: number,
    cause?: string,
    placement?: RevisionRecord['placement'],
  ): Promise<RevisionRecord> {
    return this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT * FROM revisions WHERE deployment = ? AND revision = ?')
        .get(deployment, revision) as RevisionRow | undefined;
      if (row) {
        if (!placement) return toRevision(row);
        const text = JSON.stringify(placement);
        this.db
          .prepare('UPDATE revisions SET placement = ? WHERE deployment = ? AND revision = ?')
          .run(text, deployment, revision);
        return toRevision({ ...row, placement: text });
      }
      const max = this.db.prepare('SELECT MAX(number) AS n FROM revisions WHERE deployment = ?').get(deployment) as {
        n: number | null;
      };
      const number = (max.n ?? 0) + 1;
      this.db
        .prepare(
          'INSERT INTO revisions (deployment, revision, number, template, created_at, change_cause, placement) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          deployment,
          revision,
          number,
          JSON.stringify(template),
          at,
          cause ?? null,
          placement ? JSON.stringify(placement) : null,
        );
      return {
        deployment,
        revision,
        number,
        template,
        createdAt: at,
        ...(cause ? { cause } : {}),
        ...(placement ? { placement } : {}),
      };
    })();
  }

  async getRevision(deployment: string, revision: string): Promise<RevisionRecord | undefined> {
    const row = this.db
      .prepare('SELECT * FROM revisions WHERE deployment = ? AND revision = ?')
      .get(deployment, revision) as RevisionRow | undefined;
    return row && toRevision(row);
  }

  async listRevisions(deployment: string): Promise<RevisionRecord[]> {
    return (
      this.db.prepare('SELECT * FROM revisions WHERE deployment = ? ORDER BY number').all(deployment) as RevisionRow[]
    ).map(toRevision);
  }

  async pruneRevisions(deployment: string, keep: number, live: ReadonlySet<string>): Promise<void> {
    const all = await this.listRevisions(deployment);
    const drop = all.slice(0, Math.max(0, all.length - keep)).filter((r) => !live.has(r.revision));
    const del = this.db.prepare('DELETE FROM revisions WHERE deployment = ? AND revision = ?');
    this.db.transaction(() => {
      for (const r of drop) del.run(deployment, r.revision);
    })();
  }

  async addEvent(event: EventRecord): Promise<void> {
    this.db.transaction(() => {
      const id = this.db
        .prepare('INSERT INTO events (time, deployment, type, reason, message) VALUES (?, ?, ?, ?, ?)')
        .run(event.time, event.deployment, event.type, event.reason, event.message).lastInsertRowid;
      this.db
        .prepare("INSERT INTO changes (time, kind, name, type, object) VALUES (?, 'event', ?, 'ADDED', ?)")
        .run(event.time, event.deployment, JSON.stringify({ ...event, id: Number(id) }));
    })();
  }

  async listChanges(after: number, limit = 1000): Promise<ChangeRecord[]> {
    const rows = this.db.prepare('SELECT * FROM changes WHERE id > ? ORDER BY id LIMIT ?').all(after, limit) as Array<
      Omit<ChangeRecord, 'object'> & { object: string }
    >;
    return rows.map((r) => ({ ...r, object: JSON.parse(r.object) }));
  }

  async feedBounds(): Promise<{ oldest: number; newest: number }> {
    const r = this.db.prepare('SELECT MIN(id) AS oldest, MAX(id) AS newest FROM changes').get() as {
      oldest: number | null;
      newest: number | null;
    };
    return { oldest: r.oldest ?? 0, newest: r.newest ?? 0 };
  }

  async pruneChanges(keep: number): Promise<void> {
    this.db
      .prepare('DELETE FROM changes WHERE id <= (SELECT MAX(id) FROM changes) - ?')
      .run(Math.max(1, Math.floor(keep)));
  }

  async putToken(t: TokenRecord): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO tokens (id, name, role, hash, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(t.id, t.name, t.role, t.hash, t.createdAt, t.expiresAt, t.revokedAt);
  }

  async getTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM tokens WHERE hash = ?').get(hash) as TokenRow | undefined;
    return row && toToken(row);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.db.prepare('SELECT * FROM tokens ORDER BY created_at, id').all() as TokenRow[]).map(toToken);
  }

  async revokeToken(idOrName: string, at: number): Promise<boolean> {
    const r = this.db
      .prepare('UPDATE tokens SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL')
      .run(at, idOrName, idOrName);
    return r.changes > 0;
  }

  async addAudit(a: AuditRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO audit (time, who, what, source, status, revision) VALUES (?, ?, ?, ?, ?, ?)')
      .run(a.time, a.who, a.what, a.from, a.status, a.revision);
  }

  async listAudit(filter: { limit?: number } = {}): Promise<AuditRecord[]> {
    const rows = this.db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?').all(filter.limit ?? 100) as Array<
      Omit<AuditRecord, 'from'> & { source: string }
    >;
    return rows.reverse().map(({ source, ...r }) => ({ ...r, from: source }));
  }

  async putGitSource(g: GitSourceRecord): Promise<GitSourceRecord> {
    this.db
      .prepare(
        `INSERT INTO git_sources (name, repo, branch, path, interval_ms, prune, webhook_secret, last_seen_commit, last_synced_commit, last_error, synced, last_check_at, created_at, updated_at)
         VALUES (@name, @repo, @branch, @path, @intervalMs, @prune, @webhookSecret, @lastSeenCommit, @lastSyncedCommit, @lastError, @synced, @lastCheckAt, @createdAt, @updatedAt)
         ON CONFLICT(name) DO UPDATE SET repo = excluded.repo, branch = excluded.branch, path = excluded.path, interval_ms = excluded.interval_ms,
           prune = excluded.prune, webhook_secret = excluded.webhook_secret, updated_at = excluded.updated_at`,
      )
      .run({
        ...g,
        prune: g.prune ? 1 : 0,
        lastError: g.lastError === null ? null : JSON.stringify(g.lastError),
        synced: JSON.stringify(g.synced),
      });
    return (await this.getGitSource(g.name))!;
  }

  async getGitSource(name: string): Promise<GitSourceRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM git_sources WHERE name = ?').get(name) as GitSourceRow | undefined;
    return row && toGitSource(row);
  }

  async listGitSources(): Promise<GitSourceRecord[]> {
    return (this.db.prepare('SELECT * FROM git_sources ORDER BY name').all() as GitSourceRow[]).map(toGitSource);
  }

  async deleteGitSource(name: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM git_sources WHERE name = ?').run(name).changes > 0;
  }

  async recordGitSync(name: string, status: GitSyncStatus, at: number): Promise<GitSourceRecord | undefined> {
    const columns = {
      lastSeenCommit: 'last_seen_commit',
      lastSyncedCommit: 'last_synced_commit',
      lastError: 'last_error',
      synced: 'synced',
      lastCheckAt: 'last_check_at',
    } as const;
    const sets: string[] = ['updated_at = @at'];
    const params: Record<string, unknown> = { name, at };
    for (const [key, column] of Object.entries(columns)) {
      const value = status[key as keyof GitSyncStatus];
      if (value === undefined) continue;
      sets.push(`${column} = @${key}`);
      params[key] = (key === 'lastError' || key === 'synced') && value !== null ? JSON.stringify(value) : value;
    }
    this.db.prepare(`UPDATE git_sources SET ${sets.join(', ')} WHERE name = @name`).run(params);
    return this.getGitSource(name);
  }

  async listEvents(filter: { deployment?: string; limit?: number } = {}): Promise<EventRecord[]> {
    const limit = filter.limit ?? 100;
    const rows = (
      filter.deployment
        ? this.db
            .prepare('SELECT * FROM events WHERE deployment = ? ORDER BY id DESC LIMIT ?')
            .all(filter.deployment, limit)
        : this.db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT ?').all(limit)
    ) as EventRecord[];
    return rows.reverse();
  }

  async putConditions(deployment: string, conditions: readonly Condition[]): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO conditions (deployment, conditions) VALUES (?, ?) ON CONFLICT(deployment) DO UPDATE SET conditions = excluded.conditions',
      )
      .run(deployment, JSON.stringify(conditions));
  }

  async getConditions(deployment: string): Promise<Condition[]> {
    const row = this.db.prepare('SELECT conditions FROM conditions WHERE deployment = ?').get(deployment) as
      | { conditions: string }
      | undefined;
    return row ? JSON.parse(row.conditions) : [];
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<Lease | undefined> {
    // IMMEDIATE: take the write lock first, so two processes cannot both see the lease free
    return this.db
      .transaction((): Lease | undefined => {
        const row = this.db.prepare('SELECT * FROM leases WHERE name = ?').get(name) as LeaseRow | undefined;
        const expiresAt = now + ttlMs;
        if (row && row.holder !== holder && row.expires_at > now) return undefined;
        const token = row ? (row.holder === holder && row.expires_at > now ? row.token : row.token + 1) : 1;
        this.db
          .prepare(
            'INSERT INTO leases (name, holder, token, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, token = excluded.token, expires_at = excluded.expires_at',
          )
          .run(name, holder, token, expiresAt);
        return { name, holder, token, expiresAt };
      })
      .immediate();
  }

  async checkLease(name: string, holder: string, token: number, now: number): Promise<boolean> {
    const row = this.db.prepare('SELECT * FROM leases WHERE name = ?').get(name) as LeaseRow | undefined;
    return !!row && row.holder === holder && row.token === token && row.expires_at > now;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.db.prepare('UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?').run(name, holder);
  }

  async getLease(name: string): Promise<Lease | undefined> {
    const row = this.db.prepare('SELECT * FROM leases WHERE name = ?').get(name) as LeaseRow | undefined;
    return row && { name: row.name, holder: row.holder, token: row.token, expiresAt: row.expires_at };
  }

  async getRollout(deployment: string): Promise<RolloutState | undefined> {
    const row = this.db.prepare('SELECT state FROM rollouts WHERE deployment = ?').get(deployment) as
      | { state: string }
      | undefined;
    return row ? JSON.parse(row.state) : undefined;
  }

  async putRollout(deployment: string, state: RolloutState): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO rollouts (deployment, state) VALUES (?, ?) ON CONFLICT(deployment) DO UPDATE SET state = excluded.state',
      )
      .run(deployment, JSON.stringify(state));
  }

  async getAutoscalerState(deployment: string): Promise<unknown> {
    const row = this.db.prepare('SELECT state FROM autoscalers WHERE deployment = ?').get(deployment) as
      | { state: string }
      | undefined;
    return row ? JSON.parse(row.state) : undefined;
  }

  async putAutoscalerState(deployment: string, state: unknown): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO autoscalers (deployment, state) VALUES (?, ?) ON CONFLICT(deployment) DO UPDATE SET state = excluded.state',
      )
      .run(deployment, JSON.stringify(state));
  }

  async getFleet(): Promise<FleetRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM fleet WHERE id = 1').get() as
      | { name: string; spec: string; withheld: string; source: string; recorded_at: number }
      | undefined;
    if (!row) return undefined;
    return {
      name: row.name,
      spec: JSON.parse(row.spec),
      withheld: JSON.parse(row.withheld),
      source: row.source,
      recordedAt: row.recorded_at,
    };
  }

  async putFleet(record: FleetRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO fleet (id, name, spec, withheld, source, recorded_at) VALUES (1, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, spec = excluded.spec, withheld = excluded.withheld,
           source = excluded.source, recorded_at = excluded.recorded_at`,
      )
      .run(record.name, JSON.stringify(record.spec), JSON.stringify(record.withheld), record.source, record.recordedAt);
  }

  /** The secret key once read: it never changes, so later applies read nothing for it. */
  private key: Buffer | undefined;

  async secretKey(): Promise<Buffer> {
    if (this.key) return this.key;
    this.db
      .prepare('INSERT INTO secret_key (id, key, created_at) VALUES (1, ?, ?) ON CONFLICT(id) DO NOTHING')
      .run(randomBytes(32), Date.now());
    this.key = (this.db.prepare('SELECT key FROM secret_key WHERE id = 1').get() as { key: Buffer }).key;
    return this.key;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

interface DeploymentRow {
  name: string;
  spec: string;
  revision: string;
  generation: number;
  updated_at: number;
  resource_version: number;
}
interface TokenRow {
  id: string;
  name: string;
  role: TokenRecord['role'];
  hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}
const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  hash: r.hash,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});
interface LeaseRow {
  name: string;
  holder: string;
  token: number;
  expires_at: number;
}
interface RevisionRow {
  deployment: string;
  revision: string;
  number: number;
  template: string;
  created_at: number;
  change_cause: string | null;
  placement: string | null;
}

const toDeployment = (r: DeploymentRow): DeploymentRecord => ({
  name: r.name,
  spec: JSON.parse(r.spec),
  revision: r.revision,
  generation: r.generation,
  resourceVersion: r.resource_version,
  updatedAt: r.updated_at,
});
const toRevision = (r: RevisionRow): RevisionRecord => ({
  deployment: r.deployment,
  revision: r.revision,
  number: r.number,
  template: JSON.parse(r.template),
  createdAt: r.created_at,
  ...(r.change_cause ? { cause: r.change_cause } : {}),
  ...(r.placement ? { placement: JSON.parse(r.placement) } : {}),
});
interface GitSourceRow {
  name: string;
  repo: string;
  branch: string;
  path: string;
  interval_ms: number;
  prune: number;
  webhook_secret: string | null;
  last_seen_commit: string | null;
  last_synced_commit: string | null;
  last_error: string | null;
  synced: string;
  last_check_at: number | null;
  created_at: number;
  updated_at: number;
}
const toGitSource = (r: GitSourceRow): GitSourceRecord => ({
  name: r.name,
  repo: r.repo,
  branch: r.branch,
  path: r.path,
  intervalMs: r.interval_ms,
  prune: r.prune === 1,
  webhookSecret: r.webhook_secret,
  lastSeenCommit: r.last_seen_commit,
  lastSyncedCommit: r.last_synced_commit,
  lastError: r.last_error === null ? null : (JSON.parse(r.last_error) as GitSyncError),
  synced: JSON.parse(r.synced) as SyncedDeployment[],
  lastCheckAt: r.last_check_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
