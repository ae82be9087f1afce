import { type LeaseRow, toLease } from './postgres-rows.js';
import type { Lease } from './store.js';

/**
 * The fleet lease on PostgreSQL (Store.acquireLease and the rest): one row per lease in `table`,
 * every change one statement, so two contenders never both hold it.
 */
export class PostgresLeases {
  constructor(
    private readonly table: string,
    private readonly query: (sql: string, params: unknown[]) => Promise<LeaseRow[]>,
  ) {}

  async acquire(name: string, holder: string, ttlMs: number, now: number): Promise<Lease | undefined> {
    // One atomic upsert. A contender that loses the insert race waits on the row, then sees the
    // winner's (unexpired, other) holding, so its WHERE fails and it gets no row back. The token
    // stays on renewal by a holder whose lease has not lapsed, and grows by one otherwise.
    const rows = await this.query(
      `INSERT INTO ${this.table} AS l (name, holder, token, expires_at) VALUES ($1, $2, 1, $4)
       ON CONFLICT (name) DO UPDATE SET
         holder = excluded.holder,
         token = CASE WHEN l.holder = excluded.holder AND l.expires_at > $3 THEN l.token ELSE l.token + 1 END,
         expires_at = excluded.expires_at
       WHERE l.holder = excluded.holder OR l.expires_at <= $3
       RETURNING name, holder, token, expires_at`,
      [name, holder, now, now + ttlMs],
    );
    return rows[0] && toLease(rows[0]);
  }

  async check(name: string, holder: string, token: number, now: number): Promise<boolean> {
    const rows = await this.query(
      `SELECT 1 FROM ${this.table} WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > $4`,
      [name, holder, token, now],
    );
    return rows.length > 0;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.query(`UPDATE ${this.table} SET expires_at = 0 WHERE name = $1 AND holder = $2`, [name, holder]);
  }

  async get(name: string): Promise<Lease | undefined> {
    const rows = await this.query(`SELECT * FROM ${this.table} WHERE name = $1`, [name]);
    return rows[0] && toLease(rows[0]);
  }
}
