import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { SkyfleetError } from '../errors/index.js';
import type { RolloutState } from '../rollout/types.js';
import { deploymentConflict } from './deployment-conflict.js';
import { redactor, storeError } from './postgres-errors.js';
import { migratePostgres } from './postgres-migrations.js';
import { lockInTransaction, quoteIdent, splitSchema } from './postgres-sql.js';
import {
  type DeploymentRow,
  type EventRow,
  type GitSourceRow,
  type LeaseRow,
  type RevisionRow,
  type TokenRow,
  toDeployment,
  toEvent,
  toGitSource,
  toRevision,
  toToken,
} from './postgres-rows.js';
import type { ApiStore, AuditRecord, ChangeRecord, TokenRecord } from './api-store.js';
import type { GitSourceRecord, GitSourceStore, GitSyncStatus } from './git-source-store.js';
import type { Condition, DeploymentRecord, EventRecord, FleetRecord, Lease, RevisionRecord } from './store.js';
import { PostgresLeases } from './postgres-leases.js';

// Also exported from the store's module, which has always exported them.
export { PG_MIGRATIONS } from './postgres-migrations.js';
export { redactor } from './postgres-errors.js';

export interface PostgresStoreOptions {
  /**
   * The schema the store's tables live in (created if missing). Defaults to a `schema` query
   * parameter of the connection string, else `public`. Letters, digits and `_` only.
   */
  schema?: string;
  /** Most connections the pool opens (default 4). */
  maxConnections?: number;
  /** How long to wait for a connection before failing with `store_unavailable` (default 10 s). */
  connectTimeoutMs?: number;
}

/**
 * Durable state in PostgreSQL, for several controllers on several machines sharing one store.
 * Leases are taken with one atomic upsert, so exactly one contender wins under real concurrency.
 * `pg` is loaded only when a PostgresStore is opened.
 */
export class PostgresStore implements ApiStore, GitSourceStore {
  private closed = false;
  private readonly t: {
    deployments: string;
    revisions: string;
    events: string;
    conditions: string;
    leases: string;
    rollouts: string;
    autoscalers: string;
    fleet: string;
    secretKey: string;
    changes: string;
    tokens: string;
    audit: string;
    gitSources: string;
  };

  private constructor(
    private readonly pool: Pool,
    /** The connection string with its password redacted: safe to log. */
    readonly url: string,
    readonly schema: string,
    private readonly redact: (text: string) => string,
  ) {
    const q = quoteIdent(schema);
    this.t = {
      deployments: `${q}.deployments`,
      revisions: `${q}.revisions`,
      events: `${q}.events`,
      conditions: `${q}.conditions`,
      leases: `${q}.leases`,
      rollouts: `${q}.rollouts`,
      autoscalers: `${q}.autoscalers`,
      fleet: `${q}.fleet`,
      secretKey: `${q}.secret_key`,
      changes: `${q}.changes`,
      tokens: `${q}.tokens`,
      audit: `${q}.audit`,
      gitSources: `${q}.git_sources`,
    };
    this.leases = new PostgresLeases(this.t.leases, (sql, params) => this.query<LeaseRow>(sql, params));
  }

  private readonly leases: PostgresLeases;

  static async open(connectionString: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const { url, schema: fromUrl } = splitSchema(connectionString);
    const redact = redactor(connectionString);
    const schema = options.schema ?? fromUrl ?? 'public';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new SkyfleetError(
        'store_invalid',
        `invalid PostgreSQL schema name "${schema}": use letters, digits and _ (at most 63)`,
      );
    }
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      allowExitOnIdle: true,
      application_name: 'skyfleet',
    });
    // An idle connection that the server drops emits 'error' on the pool: without a listener it
    // would crash the process. The next query gets a fresh connection (or a store_unavailable).
    pool.on('error', () => {});
    const store = new PostgresStore(pool, redact(connectionString), schema, redact);
    try {
      await migratePostgres((body) => store.transaction(body), schema);
    } catch (e) {
      await pool.end().catch(() => {});
      throw store.wrap(e);
    }
    return store;
  }

  async getDeployment(name: string): Promise<DeploymentRecord | undefined> {
    const rows = await this.query<DeploymentRow>(`SELECT * FROM ${this.t.deployments} WHERE name = $1`, [name]);
    return rows[0] && toDeployment(rows[0]);
  }

  async listDeployments(): Promise<DeploymentRecord[]> {
    return (await this.query<DeploymentRow>(`SELECT * FROM ${this.t.deployments} ORDER BY name COLLATE "C"`)).map(
      toDeployment,
    );
  }

  async putDeployment(
    record: Omit<DeploymentRecord, 'generation'>,
    options: { expectGeneration?: number | null } = {},
  ): Promise<DeploymentRecord> {
    const spec = JSON.stringify(record.spec);
    // Writers of desired state and the feed take one lock: feed ids commit in order, so a watch
    // that read up to id N never sees an id below N appear later.
    return this.transaction(async (c) => {
      await lockInTransaction(c, `feed:${this.schema}`);
      const found = await c.query<{ revision: string; generation: string; resource_version: string; same: boolean }>(
        `SELECT revision, generation, resource_version, spec = $2::jsonb AS same FROM ${this.t.deployments} WHERE name = $1 FOR UPDATE`,
        [record.name, spec],
      );
      const prev = found.rows[0];
      const prevGeneration = prev ? Number(prev.generation) : null;
      if (options.expectGeneration !== undefined && prevGeneration !== options.expectGeneration) {
        throw deploymentConflict(
          record.name,
          options.expectGeneration,
          prev && { revision: prev.revision, generation: Number(prev.generation) },
        );
      }
      const generation = !prev ? 1 : prev.same ? Number(prev.generation) : Number(prev.generation) + 1;
      const out: DeploymentRecord = {
        ...record,
        generation,
        resourceVersion: prev ? Number(prev.resource_version) : 0,
      };
      if (!prev || !prev.same || prev.revision !== record.revision) {
        const ins = await c.query<{ id: string }>(
          `INSERT INTO ${this.t.changes} (time, kind, name, type, object) VALUES ($1, 'deployment', $2, $3, '{}'::jsonb) RETURNING id`,
          [record.updatedAt, record.name, prev ? 'MODIFIED' : 'ADDED'],
        );
        out.resourceVersion = Number(ins.rows[0]?.id);
        await c.query(`UPDATE ${this.t.changes} SET object = $2::jsonb WHERE id = $1`, [
          out.resourceVersion,
          JSON.stringify(out),
        ]);
      }
      await c.query(
        `INSERT INTO ${this.t.deployments} (name, spec, revision, generation, updated_at, resource_version)
         VALUES ($1, $2::jsonb, $3, $4, $5, $6)
         ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, revision = excluded.revision,
           generation = excluded.generation, updated_at = excluded.updated_at, resource_version = excluded.resource_version`,
        [record.name, spec, record.revision, generation, record.updatedAt, out.resourceVersion],
      );
      return out;
    });
  }

  async deleteDeployment(name: string): Promise<void> {
    await this.transaction(async (c) => {
      await lockInTransaction(c, `feed:${this.schema}`);
      // One statement (data-modifying CTEs): all of them go, or none.
      const gone = await c.query(
        `WITH c AS (DELETE FROM ${this.t.conditions} WHERE deployment = $1),
              r AS (DELETE FROM ${this.t.revisions} WHERE deployment = $1),
              o AS (DELETE FROM ${this.t.rollouts} WHERE deployment = $1),
              a AS (DELETE FROM ${this.t.autoscalers} WHERE deployment = $1)
         DELETE FROM ${this.t.deployments} WHERE name = $1`,
        [name],
      );
      if (gone.rowCount) {
        await c.query(
          `INSERT INTO ${this.t.changes} (time, kind, name, type, object) VALUES ($1, 'deployment', $2, 'DELETED', $3::jsonb)`,
          [Date.now(), name, JSON.stringify({ name })],
        );
      }
    });
  }

  async putRevision(
    deployment: string,
    revision: string,
    template: RevisionRecord['template'],
    at: number,
    cause?: string,
    placement?: RevisionRecord['placement'],
  ): Promise<RevisionRecord> {
    // Numbers are max + 1 per deployment: serialise writers of one deployment with a lock.
    return this.transaction(async (c) => {
      await lockInTransaction(c, `revisions:${this.schema}:${deployment}`);
      const found = await c.query<RevisionRow>(
        `SELECT * FROM ${this.t.revisions} WHERE deployment = $1 AND revision = $2`,
        [deployment, revision],
      );
      if (found.rows[0]) {
        if (!placement) return toRevision(found.rows[0]);
        await c.query(`UPDATE ${this.t.revisions} SET placement = $3::jsonb WHERE deployment = $1 AND revision = $2`, [
          deployment,
          revision,
          JSON.stringify(placement),
        ]);
        return toRevision({ ...found.rows[0], placement });
      }
      const inserted = await c.query<RevisionRow>(
        `INSERT INTO ${this.t.revisions} (deployment, revision, number, template, created_at, change_cause, placement)
         SELECT $1, $2, COALESCE(MAX(number), 0) + 1, $3::jsonb, $4, $5, $6::jsonb FROM ${this.t.revisions} WHERE deployment = $1
         RETURNING *`,
        [
          deployment,
          revision,
          JSON.stringify(template),
          at,
          cause ?? null,
          placement ? JSON.stringify(placement) : null,
        ],
      );
      const row = inserted.rows[0];
      if (!row)
        throw new SkyfleetError('store_error', `recording revision ${revision} of ${deployment} returned nothing`);
      return {
        deployment,
        revision,
        number: Number(row.number),
        template,
        createdAt: at,
        ...(cause ? { cause } : {}),
        ...(placement ? { placement } : {}),
      };
    });
  }

  async getRevision(deployment: string, revision: string): Promise<RevisionRecord | undefined> {
    const rows = await this.query<RevisionRow>(
      `SELECT * FROM ${this.t.revisions} WHERE deployment = $1 AND revision = $2`,
      [deployment, revision],
    );
    return rows[0] && toRevision(rows[0]);
  }

  async listRevisions(deployment: string): Promise<RevisionRecord[]> {
    return (
      await this.query<RevisionRow>(`SELECT * FROM ${this.t.revisions} WHERE deployment = $1 ORDER BY number`, [
        deployment,
      ])
    ).map(toRevision);
  }

  async pruneRevisions(deployment: string, keep: number, live: ReadonlySet<string>): Promise<void> {
    await this.query(
      `DELETE FROM ${this.t.revisions}
       WHERE deployment = $1
         AND NOT (revision = ANY($3::text[]))
         AND revision IN (
           SELECT revision FROM ${this.t.revisions} WHERE deployment = $1 ORDER BY number DESC OFFSET $2
         )`,
      [deployment, Math.max(0, Math.floor(keep)), [...live]],
    );
  }

  async putGitSource(g: GitSourceRecord): Promise<GitSourceRecord> {
    const rows = await this.query<GitSourceRow>(
      `INSERT INTO ${this.t.gitSources} (name, repo, branch, path, interval_ms, prune, webhook_secret, last_seen_commit, last_synced_commit, last_error, synced, last_check_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13, $14)
       ON CONFLICT (name) DO UPDATE SET repo = EXCLUDED.repo, branch = EXCLUDED.branch, path = EXCLUDED.path,
         interval_ms = EXCLUDED.interval_ms, prune = EXCLUDED.prune, webhook_secret = EXCLUDED.webhook_secret, updated_at = EXCLUDED.updated_at
       RETURNING *`,
      [
        g.name,
        g.repo,
        g.branch,
        g.path,
        g.intervalMs,
        g.prune,
        g.webhookSecret,
        g.lastSeenCommit,
        g.lastSyncedCommit,
        g.lastError === null ? null : JSON.stringify(g.lastError),
        JSON.stringify(g.synced),
        g.lastCheckAt,
        g.createdAt,
        g.updatedAt,
      ],
    );
    return toGitSource(rows[0]!);
  }

  async getGitSource(name: string): Promise<GitSourceRecord | undefined> {
    const rows = await this.query<GitSourceRow>(`SELECT * FROM ${this.t.gitSources} WHERE name = $1`, [name]);
    return rows[0] && toGitSource(rows[0]);
  }

  async listGitSources(): Promise<GitSourceRecord[]> {
    return (await this.query<GitSourceRow>(`SELECT * FROM ${this.t.gitSources} ORDER BY name`)).map(toGitSource);
  }

  async deleteGitSource(name: string): Promise<boolean> {
    const rows = await this.query<{ name: string }>(`DELETE FROM ${this.t.gitSources} WHERE name = $1 RETURNING name`, [
      name,
    ]);
    return rows.length > 0;
  }

  async recordGitSync(name: string, status: GitSyncStatus, at: number): Promise<GitSourceRecord | undefined> {
    const columns = {
      lastSeenCommit: 'last_seen_commit',
      lastSyncedCommit: 'last_synced_commit',
      lastError: 'last_error',
      synced: 'synced',
      lastCheckAt: 'last_check_at',
    } as const;
    const sets: string[] = ['updated_at = $2'];
    const params: unknown[] = [name, at];
    for (const [key, column] of Object.entries(columns)) {
      const value = status[key as keyof GitSyncStatus];
      if (value === undefined) continue;
      const json = key === 'lastError' || key === 'synced';
      params.push(json && value !== null ? JSON.stringify(value) : value);
      sets.push(`${column} = $${params.length}${json ? '::jsonb' : ''}`);
    }
    const rows = await this.query<GitSourceRow>(
      `UPDATE ${this.t.gitSources} SET ${sets.join(', ')} WHERE name = $1 RETURNING *`,
      params,
    );
    return rows[0] && toGitSource(rows[0]);
  }

  async addEvent(event: EventRecord): Promise<void> {
    await this.transaction(async (c) => {
      await lockInTransaction(c, `feed:${this.schema}`);
      const ins = await c.query<{ id: string }>(
        `INSERT INTO ${this.t.events} (time, deployment, type, reason, message) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [event.time, event.deployment, event.type, event.reason, event.message],
      );
      await c.query(
        `INSERT INTO ${this.t.changes} (time, kind, name, type, object) VALUES ($1, 'event', $2, 'ADDED', $3::jsonb)`,
        [event.time, event.deployment, JSON.stringify({ ...event, id: Number(ins.rows[0]?.id) })],
      );
    });
  }

  async listChanges(after: number, limit = 1000): Promise<ChangeRecord[]> {
    const rows = await this.query<Omit<ChangeRecord, 'id' | 'time'> & { id: string; time: string }>(
      `SELECT * FROM ${this.t.changes} WHERE id > $1 ORDER BY id LIMIT $2`,
      [after, limit],
    );
    return rows.map((r) => ({ ...r, id: Number(r.id), time: Number(r.time) }));
  }

  async feedBounds(): Promise<{ oldest: number; newest: number }> {
    const rows = await this.query<{ oldest: string | null; newest: string | null }>(
      `SELECT MIN(id) AS oldest, MAX(id) AS newest FROM ${this.t.changes}`,
    );
    return { oldest: Number(rows[0]?.oldest ?? 0), newest: Number(rows[0]?.newest ?? 0) };
  }

  async pruneChanges(keep: number): Promise<void> {
    await this.query(`DELETE FROM ${this.t.changes} WHERE id <= (SELECT MAX(id) FROM ${this.t.changes}) - $1`, [
      Math.max(1, Math.floor(keep)),
    ]);
  }

  async putToken(t: TokenRecord): Promise<void> {
    await this.query(
      `INSERT INTO ${this.t.tokens} (id, name, role, hash, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [t.id, t.name, t.role, t.hash, t.createdAt, t.expiresAt, t.revokedAt],
    );
  }

  async getTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const rows = await this.query<TokenRow>(`SELECT * FROM ${this.t.tokens} WHERE hash = $1`, [hash]);
    return rows[0] && toToken(rows[0]);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.query<TokenRow>(`SELECT * FROM ${this.t.tokens} ORDER BY created_at, id`)).map(toToken);
  }

  async revokeToken(idOrName: string, at: number): Promise<boolean> {
    const rows = await this.query(
      `UPDATE ${this.t.tokens} SET revoked_at = $1 WHERE (id = $2 OR name = $2) AND revoked_at IS NULL RETURNING id`,
      [at, idOrName],
    );
    return rows.length > 0;
  }

  async addAudit(a: AuditRecord): Promise<void> {
    await this.query(
      `INSERT INTO ${this.t.audit} (time, who, what, source, status, revision) VALUES ($1, $2, $3, $4, $5, $6)`,
      [a.time, a.who, a.what, a.from, a.status, a.revision],
    );
  }

  async listAudit(filter: { limit?: number } = {}): Promise<AuditRecord[]> {
    const rows = await this.query<{
      id: string;
      time: string;
      who: string;
      what: string;
      source: string;
      status: number;
      revision: string | null;
    }>(`SELECT * FROM ${this.t.audit} ORDER BY id DESC LIMIT $1`, [filter.limit ?? 100]);
    return rows.reverse().map((r) => ({
      id: Number(r.id),
      time: Number(r.time),
      who: r.who,
      what: r.what,
      from: r.source,
      status: Number(r.status),
      revision: r.revision,
    }));
  }

  async listEvents(filter: { deployment?: string; limit?: number } = {}): Promise<EventRecord[]> {
    const limit = Math.max(0, Math.floor(filter.limit ?? 100));
    const rows = filter.deployment
      ? await this.query<EventRow>(`SELECT * FROM ${this.t.events} WHERE deployment = $1 ORDER BY id DESC LIMIT $2`, [
          filter.deployment,
          limit,
        ])
      : await this.query<EventRow>(`SELECT * FROM ${this.t.events} ORDER BY id DESC LIMIT $1`, [limit]);
    return rows.reverse().map(toEvent);
  }

  async putConditions(deployment: string, conditions: readonly Condition[]): Promise<void> {
    await this.query(
      `INSERT INTO ${this.t.conditions} (deployment, conditions) VALUES ($1, $2::jsonb)
       ON CONFLICT (deployment) DO UPDATE SET conditions = excluded.conditions`,
      [deployment, JSON.stringify(conditions)],
    );
  }

  async getRollout(deployment: string): Promise<RolloutState | undefined> {
    const rows = await this.query<{ state: RolloutState }>(
      `SELECT state FROM ${this.t.rollouts} WHERE deployment = $1`,
      [deployment],
    );
    return rows[0]?.state;
  }

  async putRollout(deployment: string, state: RolloutState): Promise<void> {
    await this.query(
      `INSERT INTO ${this.t.rollouts} (deployment, state) VALUES ($1, $2::jsonb)
       ON CONFLICT (deployment) DO UPDATE SET state = excluded.state`,
      [deployment, JSON.stringify(state)],
    );
  }

  async getAutoscalerState(deployment: string): Promise<unknown> {
    const rows = await this.query<{ state: unknown }>(`SELECT state FROM ${this.t.autoscalers} WHERE deployment = $1`, [
      deployment,
    ]);
    return rows[0]?.state;
  }

  async putAutoscalerState(deployment: string, state: unknown): Promise<void> {
    await this.query(
      `INSERT INTO ${this.t.autoscalers} (deployment, state) VALUES ($1, $2::jsonb)
       ON CONFLICT (deployment) DO UPDATE SET state = excluded.state`,
      [deployment, JSON.stringify(state)],
    );
  }

  async getFleet(): Promise<FleetRecord | undefined> {
    const rows = await this.query<{
      name: string;
      spec: FleetRecord['spec'];
      withheld: string[];
      source: string;
      recorded_at: string;
    }>(`SELECT name, spec, withheld, source, recorded_at FROM ${this.t.fleet} WHERE id = 1`);
    const r = rows[0];
    return r
      ? { name: r.name, spec: r.spec, withheld: r.withheld, source: r.source, recordedAt: Number(r.recorded_at) }
      : undefined;
  }

  async putFleet(record: FleetRecord): Promise<void> {
    await this.query(
      `INSERT INTO ${this.t.fleet} (id, name, spec, withheld, source, recorded_at) VALUES (1, $1, $2::jsonb, $3::jsonb, $4, $5)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, spec = excluded.spec, withheld = excluded.withheld,
         source = excluded.source, recorded_at = excluded.recorded_at`,
      [record.name, JSON.stringify(record.spec), JSON.stringify(record.withheld), record.source, record.recordedAt],
    );
  }

  /** The secret key once read: it never changes, so later applies read nothing for it. */
  private key: Buffer | undefined;

  async secretKey(): Promise<Buffer> {
    if (this.key) return this.key;
    await this.query(
      `INSERT INTO ${this.t.secretKey} (id, key, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`,
      [randomBytes(32), Date.now()],
    );
    const rows = await this.query<{ key: Buffer }>(`SELECT key FROM ${this.t.secretKey} WHERE id = 1`);
    this.key = rows[0]!.key;
    return this.key;
  }

  async getConditions(deployment: string): Promise<Condition[]> {
    const rows = await this.query<{ conditions: Condition[] }>(
      `SELECT conditions FROM ${this.t.conditions} WHERE deployment = $1`,
      [deployment],
    );
    return rows[0]?.conditions ?? [];
  }

  // the fleet lease: postgres-leases.ts
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<Lease | undefined> {
    return this.leases.acquire(name, holder, ttlMs, now);
  }
  checkLease(name: string, holder: string, token: number, now: number): Promise<boolean> {
    return this.leases.check(name, holder, token, now);
  }
  releaseLease(name: string, holder: string): Promise<void> {
    return this.leases.release(name, holder);
  }
  getLease(name: string): Promise<Lease | undefined> {
    return this.leases.get(name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async query<R extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /** Runs `body` in a transaction on one pooled connection (rolled back if it throws). */
  private async transaction<T>(body: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.wrap(e);
    }
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const out = await body(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError;
      }
      throw this.wrap(e);
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: drop it rather than reuse it.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /** A pg error as a SkyfleetError: connection trouble is retryable; no password in the text. */
  private wrap(e: unknown): SkyfleetError {
    return storeError(e, this.url, this.redact);
  }
}
