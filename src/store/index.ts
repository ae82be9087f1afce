export * from './store.js';
export * from './api-store.js';
export * from './git-source-store.js';
export { SqliteStore } from './sqlite-store.js';
export { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
export { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { PG_MIGRATIONS } from './postgres-migrations.js';
export type { Migration } from './migration.js';
export { openStore, isPostgresUrl } from './open-store.js';
