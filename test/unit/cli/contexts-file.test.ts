import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { contextsPath, loadContexts, saveContexts } from '../../../src/cli/contexts-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-contexts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('lives at $SKYFLEET_CONTEXTS, else ~/.skyfleet/contexts.yaml', () => {
  expect(contextsPath({ SKYFLEET_CONTEXTS: '/x/c.yaml' })).toBe('/x/c.yaml');
  expect(contextsPath({})).toMatch(/[/\\]\.skyfleet[/\\]contexts\.yaml$/);
});

it('a missing file is no contexts', () => {
  expect(loadContexts(join(dir, 'none.yaml'))).toEqual({ current: null, contexts: [] });
});

it('saves owner-only (0600) in a new directory, atomically, and reads back what it saved', () => {
  const path = join(dir, 'sub', 'contexts.yaml');
  const data = {
    current: 'prod',
    contexts: [{ name: 'prod', server: 'https://127.0.0.1:7443', token: 'sft_x', ca: '/ca.pem' }],
  };
  saveContexts(path, data);
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
  expect(loadContexts(path)).toEqual(data);
  // over an existing file, left with the new content and no temporary file beside it
  saveContexts(path, { current: null, contexts: [] });
  expect(loadContexts(path)).toEqual({ current: null, contexts: [] });
  expect(readdirSync(join(dir, 'sub'))).toEqual(['contexts.yaml']);
  expect(statSync(path).mode & 0o777).toBe(0o600);
});

it('a malformed file is an error naming the field and the fix, never echoing a value', () => {
  const path = join(dir, 'contexts.yaml');
  writeFileSync(
    path,
    'apiVersion: skyfleet.dev/v1\nkind: Contexts\ncontexts:\n  - { name: prod, server: "sft_leaked_token", token: t }\n',
  );
  let message = '';
  try {
    loadContexts(path);
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toMatch(/contexts\.0\.server: expected an http:\/\/ or https:\/\/ URL \(fix the file/);
  expect(message).not.toContain('sft_leaked_token');
  writeFileSync(
    path,
    'apiVersion: skyfleet.dev/v1\nkind: Contexts\ncontexts:\n  - { name: a, server: "http://x", tokn: t }\n',
  );
  expect(() => loadContexts(path)).toThrow(/contexts\.0: Unrecognized key: "tokn"/);
  writeFileSync(
    path,
    'apiVersion: skyfleet.dev/v1\nkind: Contexts\ncontexts:\n  - { name: a, server: "http://x" }\n  - { name: a, server: "http://y" }\n',
  );
  expect(() => loadContexts(path)).toThrow(/context a appears twice/);
  writeFileSync(path, 'contexts: [');
  expect(() => loadContexts(path)).toThrow(/not valid YAML/);
  expect(readFileSync(path, 'utf8')).toBe('contexts: [');
});
