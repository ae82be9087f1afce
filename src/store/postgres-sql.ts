import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';

/** First half of the advisory-lock keys skyfleet takes (the second half hashes what is locked). */
const LOCK_CLASS = 0x736b7966; // 'skyf'

/** A stable signed 32-bit key for pg_advisory_xact_lock(int, int). */
function lockKey(text: string): number {
  return createHash('sha256').update(text).digest().readInt32BE(0);
}

/** Takes the advisory lock named `what` until the end of `client`'s transaction (waits for it). */
export async function lockInTransaction(client: PoolClient, what: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, lockKey(what)]);
}

/** `name` as a quoted SQL identifier. */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Takes a `schema` query parameter off a connection string (pg would ignore it). */
export function splitSchema(connectionString: string): { url: string; schema: string | undefined } {
  if (!/[?&]schema=/.test(connectionString)) return { url: connectionString, schema: undefined };
  try {
    const u = new URL(connectionString);
    const schema = u.searchParams.get('schema') ?? undefined;
    u.searchParams.delete('schema');
    return { url: u.toString(), schema };
  } catch {
    return { url: connectionString, schema: undefined };
  }
}
