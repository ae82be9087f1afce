import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { SkyfleetError } from '../errors/index.js';
import { deploymentConflict } from './deployment-conflict.js';
import { migrateSqlite } from './sqlite-migrations.js';
import type { RolloutState } from '../rollout/types.js';
import type { Condition, DeploymentRecord, EventRecord, FleetRecord, Lease, RevisionRecord, Store } from './store.js';

type Db = BetterSqlite3.Database;

/** The default store: SQLite through better-sqlite3, one file (`.skyfleet/state.db`), WAL mode. */
export class SqliteStore implements Store {
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
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
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
    const tx = this.db.transaction(() => {
      const prev = this.db
        .prepare('SELECT spec, revision, generation FROM deployments WHERE name = ?')
        .get(record.name) as { spec: string; revision: string; generation: number } | undefined;
      if (options.expectGeneration !== undefined && (prev?.generation ?? null) !== options.expectGeneration)
        throw deploymentConflict(record.name, options.expectGeneration, prev);
      const generation = !prev ? 1 : prev.spec === spec ? prev.generation : prev.generation + 1;
      this.db
        .prepare(
          `INSERT INTO deployments (name, spec, revision, generation, updated_at) VALUES (@name, @spec, @revision, @generation, @updatedAt)
           ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, revision = excluded.revision, generation = excluded.generation, updated_at = excluded.updated_at`,
        )
        .run({ name: record.name, spec, revision: record.revision, generation, updatedAt: record.updatedAt });
      return generation;
    });
    return { ...record, generation: tx.immediate() };
  }

  async deleteDeployment(name: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM deployments WHERE name = ?').run(name);
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
  ): Promise<RevisionRecord> {
    return this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT * FROM revisions WHERE deployment = ? AND revision = ?')
        .get(deployment, revision) as RevisionRow | undefined;
      if (row) return toRevision(row);
      const max = this.db.prepare('SELECT MAX(number) AS n FROM revisions WHERE deployment = ?').get(deployment) as {
        n: number | null;
      };
      const number = (max.n ?? 0) + 1;
      this.db
        .prepare('INSERT INTO revisions (deployment, revision, number, template, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(deployment, revision, number, JSON.stringify(template), at);
      return { deployment, revision, number, template, createdAt: at };
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
    this.db
      .prepare('INSERT INTO events (time, deployment, type, reason, message) VALUES (?, ?, ?, ?, ?)')
      .run(event.time, event.deployment, event.type, event.reason, event.message);
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
}
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
}

const toDeployment = (r: DeploymentRow): DeploymentRecord => ({
  name: r.name,
  spec: JSON.parse(r.spec),
  revision: r.revision,
  generation: r.generation,
  updatedAt: r.updated_at,
});
const toRevision = (r: RevisionRow): RevisionRecord => ({
  deployment: r.deployment,
  revision: r.revision,
  number: r.number,
  template: JSON.parse(r.template),
  createdAt: r.created_at,
});
