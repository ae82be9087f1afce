import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/cli/config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fleetFile(store: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-config-'));
  dirs.push(dir);
  const path = join(dir, 'skyfleet.yaml');
  writeFileSync(
    path,
    `apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: f }\ntargets: [{ name: local, kind: docker }]\nstore: { path: "${store}" }\n`,
  );
  return path;
}

it.each([
  ['a file path, relative to the fleet file', 'state.db', (dir: string) => join(dir, 'state.db')],
  ['a PostgreSQL URL, as it is', 'postgres://u:p@127.0.0.1:5432/db', () => 'postgres://u:p@127.0.0.1:5432/db'],
  ['a postgresql:// URL, as it is', 'postgresql://127.0.0.1/db', () => 'postgresql://127.0.0.1/db'],
])('store.path: %s', (_what, store, expected) => {
  const config = fleetFile(store);
  const resolved = resolveConfig({ config }, undefined, {});
  expect(resolved.storePath).toBe(expected(join(config, '..')));
});

it('--store and SKYFLEET_STORE win over the fleet file', () => {
  const config = fleetFile('state.db');
  expect(resolveConfig({ config, store: '/x.db' }, undefined, { SKYFLEET_STORE: '/y.db' }).storePath).toBe('/x.db');
  expect(resolveConfig({ config }, undefined, { SKYFLEET_STORE: '/y.db' }).storePath).toBe('/y.db');
});
