import type { PoolClient } from 'pg';
import { type Migration, refuseNewerSchema } from './migration.js';
import { lockInTransaction, quoteIdent } from './postgres-sql.js';

/**
 * Versioned schema migrations for PostgreSQL: the same versions, tables and meaning as the SQLite
 * ones (`SQLITE_MIGRATIONS`), in Postgres types (BIGINT epoch ms, JSONB documents). Each is applied once,
 * in its own transaction, with the store's schema first on the search_path.
 */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'deployments, revisions, events',
    sql: `
      CREATE TABLE deployments (
        name TEXT PRIMARY KEY,
        spec JSONB NOT NULL,
        revision TEXT NOT NULL,
        generation BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE revisions (
        deployment TEXT NOT NULL,
        revision TEXT NOT NULL,
        number INTEGER NOT NULL,
        template JSONB NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (deployment, revision)
      );
      CREATE INDEX revisions_by_number ON revisions (deployment, number);
      CREATE TABLE events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        time BIGINT NOT NULL,
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
        conditions JSONB NOT NULL
      );
      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        token BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'rollouts',
    sql: `
      CREATE TABLE rollouts (
        deployment TEXT PRIMARY KEY,
        state JSONB NOT NULL
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
        spec JSONB NOT NULL,
        withheld JSONB NOT NULL,
        source TEXT NOT NULL,
        recorded_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'autoscalers',
    sql: `
      CREATE TABLE autoscalers (
        deployment TEXT PRIMARY KEY,
        state JSONB NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'change feed, API tokens, audit',
    sql: `
      ALTER TABLE deployments ADD COLUMN resource_version BIGINT NOT NULL DEFAULT 0;
      CREATE TABLE changes (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        time BIGINT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT,
        type TEXT NOT NULL,
        object JSONB NOT NULL
      );
      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        revoked_at BIGINT
      );
      CREATE TABLE audit (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        time BIGINT NOT NULL,
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
        interval_ms BIGINT NOT NULL,
        prune BOOLEAN NOT NULL,
        webhook_secret TEXT,
        last_seen_commit TEXT,
        last_synced_commit TEXT,
        last_error JSONB,
        synced JSONB NOT NULL DEFAULT '[]',
        last_check_at BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
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
        key BYTEA NOT NULL,
        created_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'revision placements',
    sql: `
      ALTER TABLE revisions ADD COLUMN placement JSONB;
    `,
  },
];

/**
 * Applies the migrations the store's `schema` lacks (creating the schema if missing), each once
 * in a `transaction` of its own, however many stores open at the same time; refuses a schema
 * newer than these (`store_too_new`).
 */
export async function migratePostgres(
  transaction: <T>(body: (client: PoolClient) => Promise<T>) => Promise<T>,
  schema: string,
): Promise<void> {
  const quoted = quoteIdent(schema);
  for (;;) {
    const done = await transaction(async (c) => {
      // Every opener queues here; whoever gets the lock sees what the ones before it applied.
      await lockInTransaction(c, `migrate:${schema}`);
      const exists = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await c.query(`CREATE SCHEMA ${quoted}`);
      await c.query(`SET LOCAL search_path TO ${quoted}`);
      // Only create what is missing: a role without DDL rights can then use a migrated schema.
      const table = await c.query("SELECT to_regclass('schema_migrations') AS t");
      if (!table.rows[0]?.t) {
        await c.query(
          'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
        );
      }
      const applied = new Set(
        (await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
      );
      refuseNewerSchema(applied, PG_MIGRATIONS);
      const next = PG_MIGRATIONS.find((m) => !applied.has(m.version));
      if (!next) return true;
      await c.query(next.sql);
      await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        next.version,
        next.name,
        Date.now(),
      ]);
      return false;
    });
    if (done) return;
  }
}
