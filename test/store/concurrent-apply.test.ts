import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { redactor } from '../../src/store/postgres-errors.js';
import { skyfleet } from '../helpers/cli.js';
import { requires } from '../helpers/requires.js';

// Two `skyfleet apply` processes at once on one store, with different images. Desired-state
// changes of one fleet take turns (the fleet's lease; replicas take 2 s to be ready, so the two
// overlap): each apply converges its own revision and says so, the store ends on one of them with both recorded, and nobody waits for a controller
// that does not exist (before, the second apply recorded its revision over the first's and then
// waited its whole progress deadline for a controller).

const PG = process.env.SKYFLEET_TEST_PG ?? 'postgres://skyfleet:skyfleet@127.0.0.1:5432/skyfleet_test';
const dirs: string[] = [];
/** Why PostgreSQL cannot be used here, or undefined when it can. */
const pgMissing = await (async () => {
  const { default: pgmod } = await import('pg');
  const client = new pgmod.Client({ connectionString: PG, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return undefined;
  } catch (e) {
    return redactor(PG)((e as Error).message || String(e));
  } finally {
    await client.end().catch(() => {});
  }
})();
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** One `skyfleet apply` process with this config and file. */
const apply = (config: string, file: string) => skyfleet(process.cwd(), '--config', config, 'apply', '-f', file);

const web = (image: string) => `apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  template: { containers: [{ name: web, image: "${image}" }] }
`;

async function race(store: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-race-'));
  dirs.push(dir);
  const config = join(dir, 'skyfleet.yaml');
  writeFileSync(
    config,
    `apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: race }\ntargets: [{ name: lab, kind: memory, zones: [a, b], readyAfterSeconds: 2 }]\nstore: { path: "${store}" }\n`,
  );
  writeFileSync(join(dir, 'one.yaml'), web('img:1'));
  writeFileSync(join(dir, 'two.yaml'), web('img:2'));
  const started = Date.now();
  const [one, two] = await Promise.all([apply(config, join(dir, 'one.yaml')), apply(config, join(dir, 'two.yaml'))]);
  expect([one.code, two.code], `${one.stderr}\n${two.stderr}`).toEqual([0, 0]);
  // each converged its own revision (memory targets live in each process) and said so
  const revisionOf = (out: string) => /revision (\w+), ready 3\/3/.exec(out)?.[1];
  const revs = [revisionOf(one.stdout), revisionOf(two.stdout)];
  expect(revs.every(Boolean), `${one.stdout}\n${two.stdout}`).toBe(true);
  expect(new Set(revs).size).toBe(2);
  // far below the 10-minute progress deadline a waiter for a missing controller would use
  expect(Date.now() - started).toBeLessThan(60_000);
  const s = await openStore(store.startsWith('postgres') ? store : join(dir, store));
  try {
    const rec = await s.getDeployment('web');
    expect(revs).toContain(rec?.revision);
    expect((await s.listRevisions('web')).map((r) => r.revision).sort()).toEqual([...revs].sort());
    expect(rec?.generation).toBe(2);
  } finally {
    await s.close();
  }
}

describe('two applies at once', () => {
  it('on SQLite: they take turns; both converge their own revision', async () => {
    await race('state.db');
  }, 120_000);

  // as test/store/postgres.test.ts: under CI a missing server fails; elsewhere a loud, named skip
  const pg = requires(
    `PostgreSQL at ${redactor(PG)(PG)}`,
    pgMissing,
    'Run `bash scripts/start-postgres.sh` or set SKYFLEET_TEST_PG (CI starts it with scripts/start-postgres.sh)',
  );
  it.runIf(pg)(
    'on PostgreSQL: they take turns; both converge their own revision',
    async () => {
      const schema = `race_${process.pid}_${Date.now().toString(36)}`;
      try {
        await race(`${PG}?schema=${schema}`);
      } finally {
        const { default: pgmod } = await import('pg');
        const client = new pgmod.Client({ connectionString: PG });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      }
    },
    120_000,
  );
});
