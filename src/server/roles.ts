import type { TokenRole } from '../store/api-store.js';

/** What an endpoint needs: reading, changing deployments, or managing tokens and reading the audit. */
export type Permission = 'read' | 'write' | 'admin';

export const ROLES: readonly TokenRole[] = ['viewer', 'deployer', 'admin'];

const RANK: Record<TokenRole, number> = { viewer: 0, deployer: 1, admin: 2 };
const NEEDS: Record<Permission, number> = { read: 0, write: 1, admin: 2 };

/** viewer reads; deployer also applies, scales, rolls out, migrates; admin also manages tokens and reads the audit. */
export function may(role: TokenRole, permission: Permission): boolean {
  return RANK[role] >= NEEDS[permission];
}

export function isRole(value: unknown): value is TokenRole {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
