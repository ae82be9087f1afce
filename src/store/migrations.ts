/** Versioned schema migrations, applied in order, each once, inside a transaction. */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'deployments, revisions, events',
    sql: `
      CREATE TABLE deployments (
        name TEXT PRIMARY KEY,
        spec TEXT NOT NULL,
        revision TEXT NOT NULL,
        generation INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE revisions (
        deployment TEXT NOT NULL,
        revision TEXT NOT NULL,
        number INTEGER NOT NULL,
        template TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (deployment, revision)
      );
      CREATE INDEX revisions_by_number ON revisions (deployment, number);
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
        deployment TEXT,
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT NOT NULL
      );
      CREATE INDEX events_by_deployment ON events (deployment, id);
    `,
  },
  {
    version: 2,
    name: 'conditions, leases',
    sql: `
      CREATE TABLE conditions (
        deployment TEXT PRIMARY KEY,
        conditions TEXT NOT NULL
      );
      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        token INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'rollouts',
    sql: `
      CREATE TABLE rollouts (
        deployment TEXT PRIMARY KEY,
        state TEXT NOT NULL
      );
    `,
  },
];
