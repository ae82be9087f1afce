import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { saveContexts } from '../../../src/cli/contexts-file.js';
import { resolveRemote } from '../../../src/cli/remote-target.js';

let dir: string;
let path: string;
let notes: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-remote-target-'));
  path = join(dir, 'contexts.yaml');
  notes = [];
  writeFileSync(join(dir, 'token'), 'sft_from_file\n');
  saveContexts(path, {
    current: 'prod',
    contexts: [
      { name: 'prod', server: 'https://prod:7443', token: 'sft_prod', ca: '/ca/prod.pem' },
      { name: 'lab', server: 'http://lab:7443', tokenFile: join(dir, 'token') },
    ],
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const resolve = (opts: Parameters<typeof resolveRemote>[0], env: NodeJS.ProcessEnv = {}) =>
  resolveRemote(opts, { SKYFLEET_CONTEXTS: path, ...env }, { note: (l) => notes.push(l) });

it.each([
  [
    'the current context',
    {},
    {},
    { server: 'https://prod:7443', token: 'sft_prod', ca: '/ca/prod.pem', context: 'prod' },
  ],
  [
    '$SKYFLEET_CONTEXT over the current one',
    {},
    { SKYFLEET_CONTEXT: 'lab' },
    { server: 'http://lab:7443', token: 'sft_from_file', context: 'lab' },
  ],
  [
    '--context over $SKYFLEET_CONTEXT',
    { context: 'prod' },
    { SKYFLEET_CONTEXT: 'lab' },
    { server: 'https://prod:7443', token: 'sft_prod', ca: '/ca/prod.pem', context: 'prod' },
  ],
  [
    '$SKYFLEET_SERVER over --context (its own token, no context CA)',
    { context: 'prod' },
    { SKYFLEET_SERVER: 'http://env:1', SKYFLEET_TOKEN: 'sft_env' },
    { server: 'http://env:1', token: 'sft_env' },
  ],
  [
    '--server over $SKYFLEET_SERVER',
    { server: 'http://flag:1', token: 'sft_flag' },
    { SKYFLEET_SERVER: 'http://env:1', SKYFLEET_TOKEN: 'sft_env' },
    { server: 'http://flag:1', token: 'sft_flag' },
  ],
  [
    '--server with $SKYFLEET_TOKEN',
    { server: 'http://flag:1' },
    { SKYFLEET_TOKEN: 'sft_env' },
    { server: 'http://flag:1', token: 'sft_env' },
  ],
  [
    "--token and --ca over the context's",
    { token: 'sft_flag', ca: '/flag.pem' },
    {},
    { server: 'https://prod:7443', token: 'sft_flag', ca: '/flag.pem', context: 'prod' },
  ],
  [
    "$SKYFLEET_TOKEN over the context's token",
    {},
    { SKYFLEET_TOKEN: 'sft_env' },
    { server: 'https://prod:7443', token: 'sft_env', ca: '/ca/prod.pem', context: 'prod' },
  ],
] as const)('precedence: %s', (_what, opts, env, expected) => {
  expect(resolve(opts, env)).toEqual(expected);
});

it('says when a server setting overrides a context that was asked for, and only then', () => {
  resolve({ context: 'lab' }, { SKYFLEET_SERVER: 'http://env:1', SKYFLEET_TOKEN: 't' });
  expect(notes).toEqual(['$SKYFLEET_SERVER http://env:1 overrides --context lab']);
  notes.length = 0;
  resolve({ server: 'http://flag:1', token: 't' });
  expect(notes).toEqual([]);
});

it('warns when the file holds a token others may read, and not when it is 0600', () => {
  resolve({});
  expect(notes).toEqual([]);
  chmodSync(path, 0o644);
  expect(resolve({})).toMatchObject({ token: 'sft_prod' });
  expect(notes).toEqual([`contexts file ${path} holds a token and others may read it (mode 0644): chmod 600 ${path}`]);
});

it('the local store when no server and no context: no file, or a file with no current context', () => {
  expect(resolveRemote({}, { SKYFLEET_CONTEXTS: join(dir, 'none.yaml') })).toBeUndefined();
  saveContexts(path, { current: null, contexts: [{ name: 'lab', server: 'http://lab:1', token: 't' }] });
  expect(resolve({})).toBeUndefined();
});

it('--token or --ca with no server and no context is an error, not a silent local command', () => {
  saveContexts(path, { current: null, contexts: [] });
  expect(() => resolve({ token: 'sft_x' })).toThrow(
    '--token: no server to use it with: pass --server URL, or --context NAME (`skyfleet context list`), or drop --token to act on the local store',
  );
  expect(() => resolve({ ca: '/ca.pem' })).toThrow(/^--ca: no server to use it with/);
  expect(resolve({}, { SKYFLEET_TOKEN: 'sft_env' })).toBeUndefined(); // a token in the environment is no such mistake
});

it('server and controller ignore contexts (contexts: false), but not --server', () => {
  expect(resolveRemote({}, { SKYFLEET_CONTEXTS: path }, { contexts: false })).toBeUndefined();
  expect(resolveRemote({ server: 'http://x:1', token: 't' }, { SKYFLEET_CONTEXTS: path }, { contexts: false })).toEqual(
    {
      server: 'http://x:1',
      token: 't',
    },
  );
});

it('an unknown context is an error listing the known ones and the fix', () => {
  expect(() => resolve({ context: 'nope' })).toThrow(
    /context "nope" not found in .*contexts\.yaml: known contexts are prod, lab \(add one with `skyfleet context add/,
  );
  expect(() => resolve({}, { SKYFLEET_CONTEXT: 'nope' })).toThrow(/known contexts are prod, lab/);
});

it('a current context the file does not define says how to pick another', () => {
  saveContexts(path, { current: 'gone', contexts: [{ name: 'lab', server: 'http://lab:1', token: 't' }] });
  expect(() => resolve({})).toThrow(/the current context "gone" .* `skyfleet context use NAME` \(known: lab\)/);
});

it('a server without a token, and a context without one, say how to give one', () => {
  expect(() => resolve({ server: 'http://x:1' })).toThrow(
    '--server http://x:1: a token is needed too (--token or $SKYFLEET_TOKEN)',
  );
  saveContexts(path, { current: 'bare', contexts: [{ name: 'bare', server: 'http://lab:1' }] });
  expect(() => resolve({})).toThrow(
    /context bare has no token: pass --token, or add the context again with --token-file/,
  );
});

it('a token file that is missing or empty is an error naming the file, not its content', () => {
  rmSync(join(dir, 'token'));
  expect(() => resolve({ context: 'lab' })).toThrow(/context lab: cannot read its token file .*token \(ENOENT\)/);
  writeFileSync(join(dir, 'token'), '\n');
  expect(() => resolve({ context: 'lab' })).toThrow(/token file .* is empty/);
});
