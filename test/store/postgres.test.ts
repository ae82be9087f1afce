import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SkyfleetError } from '../../src/errors/index.js';
import { openStore } from '../../src/store/open-store.js';
import { PG_MIGRATIONS, PostgresStore, redactor } from '../../src/store/postgres-store.js';
import { requires } from '../helpers/requires.js';
import { describeStoreSuite } from './store-suite.js';

// A real PostgreSQL on this machine (scripts/start-postgres.sh starts one). Each run works in
// schemas of its own, named with a per-run id, and drops them at the end. Under CI an unreachable
// server fails the run; elsewhere these tests are skipped, loudly (test/helpers/requires.ts).
const URL_ = process.env.SKYFLEET_TEST_PG ?? 'postgres://skyfleet:skyfleet@127.0.0.1:5432/skyfleet_test';
const host = new URL(URL_).hostname;
if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
  throw new Error(`SKYFLEET_TEST_PG must point at this machine (127.0.0.1), not ${host}`);
}
const RUN = `t${Date.now().toString(36)}_${process.pid}_${randomBytes(3).toString('hex')}`;
const schemas = new Set<string>();
const newSchema = (label: string) => {
  const s = `skyfleet_${RUN}_${label}`.toLowerCase().slice(0, 63);
  schemas.add(s);
  return s;
};

async function reach(): Promise<string | undefined> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: URL_, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (e) {
    return redactor(URL_)((e as Error).message || String(e));
  } finally {
    await client.end().catch(() => {});
  }
}
const unreachable = await reach();
// under CI an unreachable server fails; elsewhere a loud skip (a named skipped test and a warning)
const reachable = requires(
  `PostgreSQL at ${redactor(URL_)(URL_)}`,
  unreachable,
  'Run `bash scripts/start-postgres.sh` or set SKYFLEET_TEST_PG (CI starts it with scripts/start-postgres.sh)',
);
const skip = !reachable;

/** Plain SQL on the test database, for setting up and cleaning up. */
async function admin<T>(body: (q: (sql: string, params?: unknown[]) => Promise<{ rows: T[] }>) => Promise<void>) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: URL_, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await body((sql, params) => client.query(sql, params) as unknown as Promise<{ rows: T[] }>);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  if (skip || schemas.size === 0) return;
  await admin(async (q) => {
    for (const s of schemas) await q(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  });
});

describe.skipIf(skip)('postgres', () => {
  describeStoreSuite('postgres', async () => {
    const schema = newSchema('suite');
    return {
      store: await PostgresStore.open(URL_, { schema }),
      openAgain: () => PostgresStore.open(URL_, { schema }),
      cleanup: async () => {},
    };
  });

  it('applies each migration once when several stores open the same new schema at the same moment', async () => {
    const schema = newSchema('migrate');
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(URL_, { schema })));
    try {
      await admin<{ version: number; n: string }>(async (q) => {
        const { rows } = await q(
          `SELECT version, COUNT(*) AS n FROM "${schema}".schema_migrations GROUP BY version ORDER BY version`,
        );
        expect(rows.map((r) => [r.version, Number(r.n)])).toEqual(PG_MIGRATIONS.map((m) => [m.version, 1]));
      });
      // and every handle works on the same tables
      await stores[0]!.addEvent({ time: 1, deployment: 'm', type: 'Normal', reason: 'One', message: '' });
      expect((await stores[3]!.listEvents({ deployment: 'm' })).map((e) => e.reason)).toEqual(['One']);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('migration 4 adds the fleet record to a schema made before it, keeping what it held', async () => {
    const schema = newSchema('upgrade4');
    const s = await PostgresStore.open(URL_, { schema });
    await s.addEvent({ time: 1, deployment: 'web', type: 'Normal', reason: 'Before', message: '' });
    await s.close();
    await admin(async (q) => {
      await q(`DROP TABLE "${schema}".fleet`);
      await q(`DELETE FROM "${schema}".schema_migrations WHERE version = 4`);
    });
    const again = await PostgresStore.open(URL_, { schema });
    try {
      expect(await again.getFleet()).toBeUndefined();
      expect((await again.listEvents()).map((e) => e.reason)).toEqual(['Before']);
    } finally {
      await again.close();
    }
  });

  it('refuses a store written by a newer skyfleet', async () => {
    const schema = newSchema('toonew');
    const s = await PostgresStore.open(URL_, { schema });
    await s.close();
    await admin(async (q) => {
      await q(`INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`);
    });
    const err = await PostgresStore.open(URL_, { schema }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SkyfleetError);
    expect(err).toMatchObject({ code: 'store_too_new', retryable: false });
    expect((err as Error).message).toMatch(/newer skyfleet \(schema 999, this one knows 7\)/);
  });

  it('lets exactly one of several pools win a free lease, and one win a lapsed lease, every time', async () => {
    const schema = newSchema('race');
    // separate stores, each with its own pool: as separate controllers would be
    const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresStore.open(URL_, { schema })));
    try {
      for (let round = 0; round < 40; round++) {
        const name = `lease-${round}`;
        const now = 1_000_000 + round;
        const first = await Promise.all(stores.map((s, i) => s.acquireLease(name, `c${i}`, 5000, now)));
        const winners = first.filter((l) => l !== undefined);
        expect(winners, `round ${round}`).toHaveLength(1);
        expect(winners[0]!.token).toBe(1);
        const held = await stores[0]!.getLease(name);
        expect(held).toEqual(winners[0]);
        // once it has lapsed, the others race again: one wins, the token grows by exactly one
        const later = now + 5000;
        const second = await Promise.all(
          stores.map((s, i) =>
            `c${i}` === held!.holder ? Promise.resolve(undefined) : s.acquireLease(name, `c${i}`, 5000, later),
          ),
        );
        const next = second.filter((l) => l !== undefined);
        expect(next, `round ${round} (lapsed)`).toHaveLength(1);
        expect(next[0]!.token).toBe(2);
        expect(await stores[1]!.checkLease(name, held!.holder, 1, later)).toBe(false);
        expect(await stores[2]!.checkLease(name, next[0]!.holder, 2, later + 1)).toBe(true);
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('keeps the token when the holder renews, also when others race the renewal', async () => {
    const schema = newSchema('renew');
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(URL_, { schema })));
    try {
      const a = await stores[0]!.acquireLease('l', 'a', 1000, 0);
      for (let t = 500; t < 10_000; t += 500) {
        const [renewed, ...others] = await Promise.all([
          stores[0]!.acquireLease('l', 'a', 1000, t),
          ...stores.slice(1).map((s, i) => s.acquireLease('l', `o${i}`, 1000, t)),
        ]);
        expect(renewed?.token).toBe(a!.token);
        expect(others.every((o) => o === undefined)).toBe(true);
      }
      // the holder's own lapsed lease comes back with a new token (another holding)
      const back = await stores[0]!.acquireLease('l', 'a', 1000, 100_000);
      expect(back?.token).toBe(a!.token + 1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('keeps JSON documents and BIGINT times as they were written', async () => {
    const schema = newSchema('types');
    const store = await PostgresStore.open(`${URL_}?schema=${schema}`);
    try {
      expect(store.schema).toBe(schema);
      const big = 1_900_000_000_000;
      await store.putConditions('d', [
        { type: 'Degraded', status: 'Unknown', reason: 'R', message: 'ünï "q"', lastTransitionTime: big },
      ]);
      expect(await store.getConditions('d')).toEqual([
        { type: 'Degraded', status: 'Unknown', reason: 'R', message: 'ünï "q"', lastTransitionTime: big },
      ]);
      const lease = await store.acquireLease('x', 'h', 60_000, big);
      expect(lease).toEqual({ name: 'x', holder: 'h', token: 1, expiresAt: big + 60_000 });
      await store.addEvent({ time: big, deployment: null, type: 'Warning', reason: 'R', message: 'm' });
      const [ev] = await store.listEvents();
      expect(ev).toMatchObject({ time: big, deployment: null, type: 'Warning' });
      expect(typeof ev!.id).toBe('number');
    } finally {
      await store.close();
    }
  });

  it('is what openStore opens for a postgres:// or postgresql:// string', async () => {
    const schema = newSchema('open');
    for (const url of [URL_, URL_.replace(/^postgres:/, 'postgresql:')]) {
      const store = await openStore(`${url}?schema=${schema}`);
      try {
        expect(store).toBeInstanceOf(PostgresStore);
        expect((store as PostgresStore).url).not.toContain(':skyfleet@');
      } finally {
        await store.close();
      }
    }
  });

  it('survives the server dropping its idle connections: the next call reconnects', async () => {
    const schema = newSchema('drop');
    const store = await PostgresStore.open(URL_, { schema });
    try {
      await store.putConditions('d', []);
      await admin<{ n: string }>(async (q) => {
        const { rows } = await q(
          `SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
           WHERE application_name = 'skyfleet' AND usename = current_user AND pid <> pg_backend_pid()`,
        );
        expect(Number(rows[0]?.n)).toBeGreaterThan(0);
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(await store.getConditions('d')).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('fails with store_unavailable, not retryable, and no password on a wrong password', async () => {
    const url = new URL(URL_);
    url.password = 'wrong-Pa55word-xyz';
    const err = await PostgresStore.open(url.toString(), { schema: newSchema('badpw') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'store_unavailable', retryable: false });
    expect(JSON.stringify(err)).not.toContain('wrong-Pa55word-xyz');
    expect(inspect(err, { depth: 20 })).not.toContain('wrong-Pa55word-xyz'); // its cause too
    expect((err as Error).message).not.toContain('wrong-Pa55word-xyz');
  });
});

describe('postgres store: an unreachable server', () => {
  it('fails with a retryable store_unavailable that names the server but not the password', async () => {
    // a port on 127.0.0.1 that nothing listens on: bind one, note it, close it
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const password = 's3cret-Passw0rd';
    const err = await PostgresStore.open(`postgres://skyfleet:${password}@127.0.0.1:${port}/nowhere`).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SkyfleetError);
    expect(err).toMatchObject({ code: 'store_unavailable', retryable: true });
    const message = (err as Error).message;
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).toMatch(/ECONNREFUSED/);
    expect(message).not.toContain(password);
    expect(JSON.stringify(err)).not.toContain(password);
    expect(inspect(err, { depth: 20 })).not.toContain(password); // its cause too
    // through openStore too
    const viaOpen = await openStore(`postgresql://skyfleet:${password}@127.0.0.1:${port}/nowhere`).catch(
      (e: unknown) => e,
    );
    expect(viaOpen).toMatchObject({ code: 'store_unavailable', retryable: true });
    expect((viaOpen as Error).message).not.toContain(password);
  });

  it('redacts passwords from connection strings in any text', () => {
    const r = redactor('postgres://u:p%40ss@127.0.0.1/db');
    expect(r('at postgres://u:p%40ss@127.0.0.1/db: no')).toBe('at postgres://u:***@127.0.0.1/db: no');
    expect(r('failed for p@ss')).toBe('failed for ***');
    expect(
      redactor('postgres://127.0.0.1/db?password=hunter2')('postgres://127.0.0.1/db?password=hunter2 hunter2'),
    ).toBe('postgres://127.0.0.1/db?password=*** ***');
  });
});
