import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverCertCommand } from '../../src/cli/server-commands.js';
import type { SkyfleetError } from '../../src/errors/index.js';
import { connectFleet } from '../../src/remote/index.js';
import { listen, type Listening } from '../../src/server/index.js';
import { createApiToken } from '../../src/server/tokens.js';
import { type Harness, harness } from './harness.js';

let h: Harness;
let server: Listening;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-tls-'));
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await serverCertCommand({ out: dir, host: '127.0.0.1', days: '1' });
  } finally {
    process.stdout.write = write;
  }
  h = await harness();
  server = await listen(h.api, {
    host: '127.0.0.1',
    port: 0,
    tls: { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') },
  });
});
afterAll(async () => {
  await server?.close();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS with a generated certificate', () => {
  it('serves https that a client trusting the certificate reaches', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const fleet = await connectFleet({
      server: server.url,
      token: h.tokens.viewer,
      ca: readFileSync(join(dir, 'tls.crt')),
    });
    expect(fleet.name).toBe('api');
    expect(await fleet.list()).toEqual([]);
    await fleet.close();
  });

  it('a dashboard login over https sets a Secure session cookie', async () => {
    const { request } = await import('node:https');
    const cookie = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${server.url}/api/v1/session`,
        {
          method: 'POST',
          ca: readFileSync(join(dir, 'tls.crt')),
          headers: { 'content-type': 'application/json', 'x-skyfleet-csrf': 'login' },
        },
        (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie'] ?? ''));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ token: h.tokens.viewer }));
    });
    expect(cookie).toMatch(/^skyfleet_session=[\w-]{40,};/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
  });

  it('a client that does not trust it is refused at the handshake', async () => {
    const e = (await connectFleet({ server: server.url, token: h.tokens.viewer }).catch(
      (x: unknown) => x,
    )) as SkyfleetError;
    expect(e.code).toBe('server_unreachable');
    expect(e.message).toMatch(/self-signed|certificate/i);
  });

  it('wrong, expired and revoked tokens are refused with 401', async () => {
    const ca = readFileSync(join(dir, 'tls.crt'));
    const expired = await createApiToken(h.store, {
      role: 'admin',
      name: 'old',
      ttlMs: 1000,
      now: Date.now() - 60_000,
    });
    const revoked = await createApiToken(h.store, { role: 'admin', name: 'gone', now: Date.now() });
    await h.store.revokeToken('gone', Date.now());
    for (const [token, why] of [
      ['sft_wrong', /not valid/],
      [expired.token, /expired/],
      [revoked.token, /revoked/],
    ] as const) {
      const e = (await connectFleet({ server: server.url, token, ca }).catch((x: unknown) => x)) as SkyfleetError;
      expect(e.code).toBe('unauthorized');
      expect(e.message).toMatch(why);
    }
  });
});
