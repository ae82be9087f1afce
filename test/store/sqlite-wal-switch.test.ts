import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';

// Opening a store switches it to WAL. While another process holds the database locked longer
// than the busy timeout (5 s), that switch answers SQLITE_BUSY; open waits and tries again
// (up to 10 s) instead of failing the command.

const dir = mkdtempSync(join(tmpdir(), 'skyfleet-wal-switch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('open tries the WAL switch again while another process holds the store locked past the busy timeout', {
  timeout: 60_000,
}, async () => {
  const path = join(dir, 'state.db');
  // the other process: a store file still in rollback-journal mode, locked exclusively until
  // 6.5 s after it hears "go" (the first switch attempt gives up after 5 s)
  const script = `const Database = require('better-sqlite3');
const db = new Database(${JSON.stringify(path)});
db.pragma('journal_mode = DELETE');
db.exec('CREATE TABLE IF NOT EXISTS t (x)');
db.exec('BEGIN EXCLUSIVE');
console.log('locked');
process.stdin.once('data', () => {
  setTimeout(() => { db.exec('COMMIT'); db.close(); console.log('released'); }, 6500);
});`;
  const child = spawn('node', ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: child.stdout! });
    const [first] = (await once(lines, 'line')) as [string];
    expect(first).toBe('locked');
    const released = once(lines, 'line');
    child.stdin!.write('go\n');
    const started = performance.now();
    const store = await SqliteStore.open(path);
    // the lock held: the first switch waited out the whole busy timeout before the retry
    expect(performance.now() - started).toBeGreaterThanOrEqual(5000);
    await store.close();
    expect(((await released) as [string])[0]).toBe('released');
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  } finally {
    child.kill();
  }
});
