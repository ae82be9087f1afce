import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { describeStoreSuite } from './store-suite.js';

describeStoreSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-store-'));
  const path = join(dir, 'state.db');
  return {
    store: await SqliteStore.open(path),
    openAgain: () => SqliteStore.open(path),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

it('refuses a store written by a newer skyfleet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-store-'));
  try {
    const path = join(dir, 'state.db');
    const s = await SqliteStore.open(path);
    await s.close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('future');
    db.close();
    await expect(SqliteStore.open(path)).rejects.toThrow(/newer skyfleet \(schema 999/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('migration 4 adds the fleet record to a store made before it, keeping what it held', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-store-'));
  try {
    const path = join(dir, 'state.db');
    const s = await SqliteStore.open(path);
    await s.addEvent({ time: 1, deployment: 'web', type: 'Normal', reason: 'Before', message: '' });
    await s.close();
    // back to the schema of version 3
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path);
    db.exec('DROP TABLE fleet; DELETE FROM schema_migrations WHERE version = 4');
    db.close();
    const again = await SqliteStore.open(path);
    try {
      expect(await again.getFleet()).toBeUndefined();
      expect((await again.listEvents()).map((e) => e.reason)).toEqual(['Before']);
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
