// Contexts end to end: `skyfleet context add|use|list|current|delete` against a real `skyfleet server`
// on 127.0.0.1 (memory targets, a SQLite store). Commands go to the current context's server, or
// the one --context names; --server overrides both; the token is never printed.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skyfleet, skyfleetWith, startServer } from '../helpers/cli.js';

const fleetDoc =
  'apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: demo }\ntargets:\n  - { name: lab, kind: memory, zones: [a, b] }\n';
const web = `apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  template: { containers: [{ name: web, image: img:1, ports: [{ containerPort: 8080 }] }] }
`;

let dir: string;
let elsewhere: string;
let contexts: string;
let token: string;
let served: Awaited<ReturnType<typeof startServer>>;
const sf = (...args: string[]) => skyfleetWith({ SKYFLEET_CONTEXTS: contexts }, elsewhere, ...args);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-cli-context-'));
  // the client runs in a directory with no fleet and no store: only a context can reach the fleet
  elsewhere = mkdtempSync(join(tmpdir(), 'skyfleet-cli-context-client-'));
  contexts = join(elsewhere, 'home', 'contexts.yaml');
  writeFileSync(join(dir, 'skyfleet.yaml'), fleetDoc);
  writeFileSync(join(elsewhere, 'web.yaml'), web);
  const made = await skyfleet(dir, 'token', 'create', '--role', 'admin', '--name', 'ctx-admin');
  expect(made.code, made.stderr).toBe(0);
  token = made.stdout.trim().split('\n').pop()!;
  writeFileSync(join(elsewhere, 'token'), `${token}\n`);
  served = await startServer(dir, ['--resync', '1s']);
}, 60_000);
afterAll(async () => {
  await served?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

describe('skyfleet context', () => {
  it('with no context, a command acts on the local store (and finds no fleet there)', async () => {
    const r = await sf('get');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no fleet configured/);
  });

  it('adds contexts, lists them with no token, and writes the file 0600', async () => {
    const a = await sf('context', 'add', 'lab', '--server', served.url, '--token-file', 'token');
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(
      `context lab added (${served.url}, token from a file); use it with \`skyfleet context use lab\`\n`,
    );
    const b = await sf('context', 'add', 'inline', '--server', served.url, '--token', token);
    expect(b.code, b.stderr).toBe(0);
    const dup = await sf('context', 'add', 'lab', '--server', served.url, '--token', token);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/lab exists already .*`skyfleet context delete lab`/);
    expect(statSync(contexts).mode & 0o777).toBe(0o600);
    const list = await sf('context', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^\\s+lab\\s+${served.url}\\s+file ${join(elsewhere, 'token')}\\s+-$`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^\\s+inline\\s+${served.url}\\s+set\\s+-$`, 'm'));
    const json = await sf('context', 'list', '-o', 'json');
    for (const out of [list.stdout, list.stderr, json.stdout, a.stdout, b.stdout, b.stderr])
      expect(out).not.toContain(token);
    expect(readFileSync(contexts, 'utf8')).toContain(token); // the inline one is in the file only
  });

  it('use makes commands go to the context server: apply, get, audit', async () => {
    const none = await sf('context', 'current');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no current context .*`skyfleet context use NAME`/);
    const use = await sf('context', 'use', 'lab');
    expect(use.code, use.stderr).toBe(0);
    expect((await sf('context', 'current')).stdout).toBe('lab\n');
    expect((await sf('context', 'list')).stdout).toMatch(/^\*\s+lab\s/m);
    const applied = await sf('apply', '-f', 'web.yaml');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/deployment\/web rolled out by the controller: revision [0-9a-f]+, ready 2\/2/);
    const got = await sf('get', '-o', 'json');
    expect(JSON.parse(got.stdout)).toMatchObject([{ name: 'web', replicas: 2, ready: 2 }]);
    const audit = JSON.parse((await sf('audit', '-o', 'json')).stdout) as Array<{ who: string; what: string }>;
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ what: 'PUT /api/v1/deployments/web', who: expect.stringContaining('ctx-admin') }),
      ]),
    );
  });

  it('--context and $SKYFLEET_CONTEXT pick another; an unknown one lists the known ones', async () => {
    const viewer = (await sf('token', 'create', '--role', 'viewer', '--name', 'ctx-viewer')).stdout
      .trim()
      .split('\n')
      .pop()!;
    expect((await sf('context', 'add', 'ro', '--server', served.url, '--token', viewer)).code).toBe(0);
    const denied = await sf('--context', 'ro', 'scale', 'web', '--replicas', '3');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/role viewer\) may not/);
    const viaEnv = await skyfleetWith(
      { SKYFLEET_CONTEXTS: contexts, SKYFLEET_CONTEXT: 'ro' },
      elsewhere,
      'scale',
      'web',
      '--replicas',
      '3',
    );
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toMatch(/role viewer\) may not/);
    const unknown = await sf('--context', 'nope', 'get');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/error: context "nope" not found in .*: known contexts are lab, inline, ro/);
  });

  it('--server overrides the current context', async () => {
    const r = await sf('--server', 'http://127.0.0.1:1', '--token', 'sft_x', 'get');
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain(token);
    expect(r.stderr).toMatch(/127\.0\.0\.1:1/);
  });

  it('delete removes a context; deleting the current one leaves none current', async () => {
    const d = await sf('context', 'delete', 'lab');
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/context lab deleted; no context is current now/);
    expect((await sf('context', 'list', '-o', 'json')).stdout).not.toMatch(/"lab"/);
    expect((await sf('get')).code).toBe(2); // the local store again
    expect((await sf('--context', 'inline', 'get', '-o', 'json')).code).toBe(0);
  });
});
