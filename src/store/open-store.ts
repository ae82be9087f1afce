import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** True for a PostgreSQL connection string (`postgres://` or `postgresql://`). */
export const isPostgresUrl = (spec: string): boolean => /^postgres(ql)?:\/\//i.test(spec);

/**
 * Opens the store a string names: a `postgres://` or `postgresql://` connection string opens a
 * PostgresStore (an optional `?schema=NAME` picks its schema); anything else is a SQLite file path
 * (or `:memory:`). `pg` and better-sqlite3 are each loaded only when their store is opened.
 */
export function openStore(spec: string): Promise<Store> {
  return isPostgresUrl(spec) ? PostgresStore.open(spec) : SqliteStore.open(spec);
}
