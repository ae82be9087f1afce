export * from './store.js';
export { SqliteStore } from './sqlite-store.js';
export { MIGRATIONS } from './migrations.js';
