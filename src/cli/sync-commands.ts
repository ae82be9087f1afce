import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SkyfleetError, ValidationError } from '../errors/index.js';
import type { Fleet } from '../fleet.js';
import type { GitSourceStore } from '../store/git-source-store.js';
import type { SourceStatus } from '../sync/source-status.js';
import type { PublicGitSource, SyncReport } from '../sync/sync-source.js';
import type { GlobalOptions } from './config.js';
import { compose, remoteOf } from './container.js';
import { emit, outputFormat } from './output.js';
import { age, table } from './table.js';
import { UsageError } from './usage-error.js';

type Http = import('../remote/index.js').HttpClient;

/** A local store and fleet, or a skyfleet server's API: the same sync commands either way. */
async function sourcesCall<T>(
  opts: GlobalOptions,
  remoteCall: (http: Http) => Promise<T>,
  local: (s: { store: GitSourceStore; fleet: Fleet }) => Promise<T>,
): Promise<T> {
  const remote = remoteOf(opts);
  if (remote) {
    const { HttpClient } = await import('../remote/index.js');
    const http = new HttpClient({ ...remote, ...(remote.ca ? { ca: readFileSync(remote.ca) } : {}) });
    try {
      return await remoteCall(http);
    } finally {
      http.close();
    }
  }
  const { config, fleet } = await compose(opts);
  const [{ openStore }, { isGitSourceStore }] = await Promise.all([
    import('../store/open-store.js'),
    import('../store/git-source-store.js'),
  ]);
  const store = await openStore(config.storePath!);
  try {
    if (!isGitSourceStore(store)) throw new SkyfleetError('store_invalid', 'this store keeps no git sources');
    return await local({ store, fleet });
  } finally {
    await fleet.close();
    await store.close();
  }
}

const path = (name: string) => `/api/v1/sources/${encodeURIComponent(name)}`;

/** A local path given relative to here is kept absolute, so the controller finds it from anywhere. */
function repoArg(repo: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/:]+:/.test(repo) ? repo : resolve(repo);
}

/** The webhook secret: read from a file or standard input, never from a flag's value (shell history, ps). */
function webhookSecret(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const text = readFileSync(file === '-' ? 0 : file, 'utf8').trim();
  if (!text) throw new UsageError(`--webhook-secret-file: ${file} is empty: write the secret in it`);
  return text;
}

const short = (c: string | null) => (c ? c.slice(0, 12) : '-');

function reportLines(r: SyncReport): string[] {
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  const lines = [`git source ${r.source}: ${r.outcome} at commit ${short(r.commit)}`];
  for (const a of r.applied) {
    const verb =
      a.action === 'create'
        ? 'created'
        : a.action === 'update'
          ? 'updated'
          : 'reverted (changed by hand since the last sync)';
    lines.push(`  deployment/${a.name} ${verb}: revision ${a.revision} (${a.file})`);
    for (const f of a.fields) lines.push(`    ${f.path}: ${show(f.store)} -> ${show(f.git)}`);
  }
  if (r.unchanged.length) lines.push(`  unchanged: ${r.unchanged.join(', ')}`);
  for (const p of r.pruned) lines.push(`  deployment/${p} deleted: its file is gone (--prune)`);
  for (const o of r.orphaned)
    lines.push(`  deployment/${o} orphaned: its file is gone; kept (register the source with --prune to delete such)`);
  if (r.error) {
    lines.push(`  error: ${r.error.message}`);
    for (const i of r.error.issues) lines.push(`    - ${i.path}: ${i.message}`);
  }
  return lines;
}

/** An invalid commit exits 2 (nothing of it applied), a failure 1; the report is printed first. */
function throwIfNotSynced(r: SyncReport): void {
  if (r.outcome === 'invalid') throw new ValidationError(r.error?.issues ?? [], `git source ${r.source}`);
  if (r.outcome === 'failed') throw new SkyfleetError('sync_failed', r.error?.message ?? 'the sync failed');
}

async function syncNow(s: { store: GitSourceStore; fleet: Fleet }, name: string): Promise<SyncReport> {
  const [{ syncSource }, { systemClock }] = await Promise.all([
    import('../sync/sync-source.js'),
    import('../util/clock.js'),
  ]);
  return syncSource({ store: s.store, fleet: s.fleet, clock: systemClock, wait: true }, name);
}

export async function syncCommand(
  opts: GlobalOptions,
  cmd: {
    repo?: string;
    branch: string;
    path: string;
    interval: string;
    prune?: boolean;
    name?: string;
    webhookSecretFile?: string;
  },
): Promise<void> {
  if (!cmd.repo)
    throw new UsageError('sync: --repo PATH_OR_URL is needed (or a subcommand: list, status, now, delete)');
  const format = outputFormat(opts);
  const repo = repoArg(cmd.repo);
  const { sourceNameOf } = await import('../sync/register-source.js');
  const name = cmd.name ?? sourceNameOf(repo);
  if (name === undefined)
    throw new UsageError(`--name: no source name can be made from ${JSON.stringify(cmd.repo)}: pass --name NAME`);
  const secret = webhookSecret(cmd.webhookSecretFile);
  const input = {
    name,
    repo,
    branch: cmd.branch,
    path: cmd.path,
    interval: cmd.interval,
    prune: cmd.prune === true,
    ...(secret !== undefined ? { webhookSecret: secret } : {}),
  };
  const report = await sourcesCall(
    opts,
    async (http) => {
      await http.json('POST', '/api/v1/sources', { body: input });
      return http.json<SyncReport>('POST', `${path(name)}/sync`);
    },
    async (s) => {
      const { registerSource } = await import('../sync/register-source.js');
      await registerSource(s.store, input, Date.now());
      return syncNow(s, name);
    },
  );
  process.stderr.write(
    `git source ${name} registered: ${cmd.repo} ${cmd.branch}:${cmd.path}, checked every ${cmd.interval} by the controller${cmd.prune ? ', pruning' : ''}\n`,
  );
  await emit(format, report, () => reportLines(report).join('\n'));
  throwIfNotSynced(report);
}

export async function syncNowCommand(opts: GlobalOptions, name: string): Promise<void> {
  const format = outputFormat(opts);
  const report = await sourcesCall(
    opts,
    (http) => http.json<SyncReport>('POST', `${path(name)}/sync`),
    (s) => syncNow(s, name),
  );
  await emit(format, report, () => reportLines(report).join('\n'));
  throwIfNotSynced(report);
}

export async function syncListCommand(opts: GlobalOptions): Promise<void> {
  const format = outputFormat(opts);
  const items = await sourcesCall(
    opts,
    async (http) => (await http.json<{ items: PublicGitSource[] }>('GET', '/api/v1/sources')).items,
    async (s) => {
      const { publicSource } = await import('../sync/sync-source.js');
      return (await s.store.listGitSources()).map(publicSource);
    },
  );
  const now = Date.now();
  await emit(format, items, () =>
    items.length
      ? table(
          ['NAME', 'REPO', 'BRANCH', 'PATH', 'INTERVAL', 'PRUNE', 'SYNCED', 'CHECKED', 'ERROR'],
          items.map((s) => [
            s.name,
            s.repo,
            s.branch,
            s.path,
            `${s.intervalMs / 1000}s`,
            s.prune ? 'yes' : 'no',
            short(s.lastSyncedCommit),
            s.lastCheckAt === null ? '-' : `${age(now - s.lastCheckAt)} ago`,
            s.lastError ? `${s.lastError.kind} at ${short(s.lastError.commit)}` : '-',
          ]),
        )
      : 'No git sources: register one with `skyfleet sync --repo PATH_OR_URL`.',
  );
}

export async function syncStatusCommand(opts: GlobalOptions, name: string | undefined): Promise<void> {
  const format = outputFormat(opts);
  const statuses = await sourcesCall(
    opts,
    async (http) => {
      const names = name
        ? [name]
        : (await http.json<{ items: PublicGitSource[] }>('GET', '/api/v1/sources')).items.map((s) => s.name);
      return Promise.all(names.map((n) => http.json<SourceStatus>('GET', `${path(n)}/status`)));
    },
    async (s) => {
      const [{ sourceStatus }, { NotFoundError }] = await Promise.all([
        import('../sync/source-status.js'),
        import('../errors/index.js'),
      ]);
      const sources = name ? [await s.store.getGitSource(name)] : await s.store.listGitSources();
      const stored = await s.fleet.list();
      return sources.map((src) => {
        if (!src) throw new NotFoundError('git source', name ?? '', 'see `skyfleet sync list`');
        return sourceStatus(src, stored);
      });
    },
  );
  const { driftLines } = await import('../sync/source-status.js');
  await emit(format, name ? statuses[0] : statuses, () =>
    statuses.length
      ? statuses
          .map(({ source: s, drift, orphaned }) =>
            [
              `Name:          ${s.name}`,
              `Repository:    ${s.repo} (branch ${s.branch}, path ${s.path})`,
              `Interval:      ${s.intervalMs / 1000}s${s.prune ? ', prune' : ''}${s.hasWebhookSecret ? ', webhook' : ''}`,
              `Last seen:     ${short(s.lastSeenCommit)}${s.lastCheckAt !== null ? ` (checked ${new Date(s.lastCheckAt).toISOString()})` : ''}`,
              `Last synced:   ${short(s.lastSyncedCommit)}`,
              `Deployments:   ${s.deployments.map((d) => `${d.name} (${d.file})`).join(', ') || '<none>'}`,
              `Last error:    ${s.lastError ? `${s.lastError.message}` : '<none>'}`,
              ...(s.lastError?.issues ?? []).map((i) => `  - ${i.path}: ${i.message}`),
              `Drift:         ${drift.length ? '' : '<none>'}`,
              ...driftLines(drift).map((l) => `  ${l}`),
              ...(orphaned.length ? [`Orphaned:      ${orphaned.join(', ')} (files gone; kept without --prune)`] : []),
            ].join('\n'),
          )
          .join('\n\n')
      : 'No git sources: register one with `skyfleet sync --repo PATH_OR_URL`.',
  );
}

export async function syncDeleteCommand(opts: GlobalOptions, name: string): Promise<void> {
  await sourcesCall(
    opts,
    async (http) => {
      await http.json('DELETE', path(name));
    },
    async (s) => {
      if (!(await s.store.deleteGitSource(name))) {
        const { NotFoundError } = await import('../errors/index.js');
        throw new NotFoundError('git source', name, 'see `skyfleet sync list`');
      }
    },
  );
  process.stdout.write(
    `git source ${name} deleted (its deployments keep running; delete them with \`skyfleet delete\`)\n`,
  );
}
