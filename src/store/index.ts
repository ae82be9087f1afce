export * from './store.js';
export { SqliteStore } from './sqlite-store.js';
export { MIGRATIONS } from './migrations.js';
export { PostgresStore, PG_MIGRATIONS, type PostgresStoreOptions } from './postgres-store.js';
export { openStore, isPostgresUrl } from './open-store.js';
