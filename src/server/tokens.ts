import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiStore, TokenRecord, TokenRole } from '../store/api-store.js';

const PREFIX = 'sft_';

/** Hex SHA-256 of a token: all the store keeps of it. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Makes a token (shown once, to its creator) and records its hash. `ttlMs` undefined: it does
 * not expire.
 */
export async function createApiToken(
  store: ApiStore,
  options: { role: TokenRole; name?: string; ttlMs?: number; now: number },
): Promise<{ token: string; record: TokenRecord }> {
  const id = randomBytes(6).toString('hex');
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  const record: TokenRecord = {
    id,
    name: options.name ?? `${options.role}-${id}`,
    role: options.role,
    hash: hashToken(token),
    createdAt: options.now,
    expiresAt: options.ttlMs === undefined ? null : options.now + options.ttlMs,
    revokedAt: null,
  };
  await store.putToken(record);
  return { token, record };
}

export type TokenCheck = { ok: true; token: TokenRecord } | { ok: false; reason: string };

/** Whether a presented token is one the store knows, not expired and not revoked (hashes compared in constant time). */
export async function checkToken(store: ApiStore, presented: string | undefined, now: number): Promise<TokenCheck> {
  if (!presented) return { ok: false, reason: 'a bearer token is required (Authorization: Bearer TOKEN)' };
  return checkTokenHash(store, hashToken(presented), now);
}

/** checkToken with the token's hash (a dashboard session keeps the hash, never the token). */
export async function checkTokenHash(store: ApiStore, hash: string, now: number): Promise<TokenCheck> {
  const rec = await store.getTokenByHash(hash);
  if (!rec || !timingSafeEqual(Buffer.from(rec.hash, 'hex'), Buffer.from(hash, 'hex'))) {
    return { ok: false, reason: 'the token is not valid' };
  }
  if (rec.revokedAt !== null) return { ok: false, reason: 'the token was revoked' };
  if (rec.expiresAt !== null && rec.expiresAt <= now) return { ok: false, reason: 'the token has expired' };
  return { ok: true, token: rec };
}

/** A token as listed: everything but its hash. */
export function tokenView(t: TokenRecord): Omit<TokenRecord, 'hash'> {
  const { hash: _, ...rest } = t;
  return rest;
}
