import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite-migrations.js';

// Several processes opening one new SQLite store at once (two `skyfleet apply` in a new folder)
// all open it, and each migration is applied once. `npm test` builds dist/ first.

const exec = promisify(execFile);
const STORE_JS = resolve('dist/src/store/sqlite-store.js');
const dir = mkdtempSync(join(tmpdir(), 'skyfleet-migrate-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('processes that open a new store at the same moment all succeed, and each migration is applied once', {
  timeout: 60_000,
}, async () => {
  for (let round = 0; round < 3; round++) {
    const path = join(dir, `state-${round}.db`);
    // every process waits for the same instant, then opens: their migrations overlap
    const at = Date.now() + 1500;
    const script = `const { SqliteStore } = await import(${JSON.stringify(STORE_JS)});
while (Date.now() < ${at}) {}
const s = await SqliteStore.open(${JSON.stringify(path)});
await s.close();
console.log('opened');`;
    const runs = await Promise.allSettled(
      Array.from({ length: 6 }, () => exec('node', ['--input-type=module', '-e', script], { timeout: 30_000 })),
    );
    const failed = runs.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
    expect(failed).toEqual([]);
    expect(runs.map((r) => (r.status === 'fulfilled' ? r.value.stdout.trim() : ''))).toEqual(Array(6).fill('opened'));
    const db = new Database(path, { readonly: true });
    try {
      const versions = (
        db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]
      ).map((r) => r.version);
      expect(versions).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
    } finally {
      db.close();
    }
  }
});
