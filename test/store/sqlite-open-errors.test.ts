import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SkyfleetError } from '../../src/errors/index.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

// A --store that is not a state store names its path and what to do (issue 15).

const dir = mkdtempSync(join(tmpdir(), 'skyfleet-store-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function openError(path: string): Promise<SkyfleetError> {
  try {
    const s = await SqliteStore.open(path);
    await s.close();
  } catch (e) {
    expect(e).toBeInstanceOf(SkyfleetError);
    return e as SkyfleetError;
  }
  throw new Error('expected open to fail');
}

it('a file that is not a database', async () => {
  const path = join(dir, 'notes.txt');
  writeFileSync(path, 'these are my notes, not a database\n'.repeat(200));
  const e = await openError(path);
  expect(e.code).toBe('store_invalid');
  expect(e.message).toBe(
    `${path} is not a skyfleet state store (file is not a database): point --store at another file, or move this one away`,
  );
});

it('a malformed database', async () => {
  const path = join(dir, 'broken.db');
  const s = await SqliteStore.open(path);
  await s.close();
  rmSync(`${path}-wal`, { force: true });
  rmSync(`${path}-shm`, { force: true });
  const bytes = readFileSync(path);
  bytes.fill(0x5a, 100, 4096); // the schema page, past the 100-byte header
  writeFileSync(path, bytes);
  const e = await openError(path);
  expect(e.code).toBe('store_invalid');
  expect(e.message).toMatch(
    new RegExp(
      `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a skyfleet state store \\(.*malformed.*\\): point --store at another file`,
    ),
  );
});

it('a path below a file', async () => {
  const file = join(dir, 'plain');
  writeFileSync(file, 'x');
  const e = await openError(join(file, 'state.db'));
  expect(e.code).toBe('store_unavailable');
  expect(e.message).toMatch(
    new RegExp(
      `cannot create the state store at ${join(file, 'state.db')}: a file is in the way of its directory ${file}`,
    ),
  );
});
