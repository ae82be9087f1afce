import { SkyfleetError } from '../errors/index.js';

/** A versioned schema migration: applied once, in version order, in a transaction of its own. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Throws `store_too_new` when a version `applied` to the store is newer than every one of `migrations`. */
export function refuseNewerSchema(applied: Iterable<number>, migrations: readonly Migration[]): void {
  const newest = Math.max(0, ...applied);
  const known = Math.max(...migrations.map((m) => m.version));
  if (newest > known) {
    throw new SkyfleetError(
      'store_too_new',
      `the state store was written by a newer skyfleet (schema ${newest}, this one knows ${known}): upgrade skyfleet`,
    );
  }
}
