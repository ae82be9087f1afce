import type BetterSqlite3 from 'better-sqlite3';
import { type Migration, refuseNewerSchema } from './migration.js';

/**
 * Versioned schema migrations of the SQLite store, applied in order, each once, inside a
 * transaction. PostgreSQL has the same versions, tables and meaning in its own types
 * (postgres-migrations.ts).
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'deployments, revisions, events',
    sql: `
      CREATE TABLE deployments (
        name TEXT PRIMARY KEY,
        spec TEXT NOT NULL,
        revision TEXT NOT NULL,
        generation INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE revisions (
        deployment TEXT NOT NULL,
        revision TEXT NOT NULL,
        number INTEGER NOT NULL,
        template TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (deployment, revision)
      );
      CREATE INDEX revisions_by_number ON revisions (deployment, number);
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
        deployment TEXT,
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT NOT NULL
      );
      CREATE INDEX events_by_deployment ON events (deployment, id);
    `,
  },
  {
    version: 2,
    name: 'conditions, leases',
    sql: `
      CREATE TABLE conditions (
        deployment TEXT PRIMARY KEY,
        conditions TEXT NOT NULL
      );
      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        token INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'rollouts',
    sql: `
      CREATE TABLE rollouts (
        deployment TEXT PRIMARY KEY,
        state TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'fleet',
    sql: `
      CREATE TABLE fleet (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        withheld TEXT NOT NULL,
        source TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'autoscalers',
    sql: `
      CREATE TABLE autoscalers (
        deployment TEXT PRIMARY KEY,
        state TEXT NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'change feed, API tokens, audit',
    sql: `
      ALTER TABLE deployments ADD COLUMN resource_version INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
        kind TEXT NOT NULL,
        name TEXT,
        type TEXT NOT NULL,
        object TEXT NOT NULL
      );
      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
      );
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
        who TEXT NOT NULL,
        what TEXT NOT NULL,
        source TEXT NOT NULL,
        status INTEGER NOT NULL,
        revision TEXT
      );
    `,
  },
  {
    version: 7,
    name: 'git sources, revision change causes',
    sql: `
      ALTER TABLE revisions ADD COLUMN change_cause TEXT;
      CREATE TABLE git_sources (
        name TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        branch TEXT NOT NULL,
        path TEXT NOT NULL,
        interval_ms INTEGER NOT NULL,
        prune INTEGER NOT NULL,
        webhook_secret TEXT,
        last_seen_commit TEXT,
        last_synced_commit TEXT,
        last_error TEXT,
        synced TEXT NOT NULL DEFAULT '[]',
        last_check_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    // (7 is the git sources' migration)
    version: 8,
    name: 'secret key',
    sql: `
      CREATE TABLE secret_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        key BLOB NOT NULL,
        created_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'revision placements',
    sql: `
      ALTER TABLE revisions ADD COLUMN placement TEXT;
    `,
  },
];

/** Applies the migrations `db` lacks; refuses a schema newer than these (`store_too_new`). */
export function migrateSqlite(db: BetterSqlite3.Database): void {
  // One IMMEDIATE transaction takes the write lock before reading what is applied: processes
  // opening a new store at once wait for each other (busy_timeout) instead of both creating a
  // table the other has just created.
  db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    refuseNewerSchema(applied, SQLITE_MIGRATIONS);
    for (const m of SQLITE_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        Date.now(),
      );
    }
  }).immediate();
}
