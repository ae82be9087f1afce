import { makeSelfSignedCert } from '../util/self-signed-cert.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SkyfleetError } from '../errors/index.js';
import type { ApiStore, TokenRecord } from '../store/api-store.js';
import type { GlobalOptions } from './config.js';
import { compose, remoteOf } from './container.js';
import { parseDuration } from './duration.js';
import { leaseTtl } from './flag-checks.js';
import { emit, outputFormat } from './output.js';
import { age, table } from './table.js';
import { UsageError } from './usage-error.js';

/** The fleet's store, opened for tokens and the audit (schema 6). */
async function openApiStore(opts: GlobalOptions): Promise<{ store: ApiStore; name: string; close(): Promise<void> }> {
  const { config, fleet } = await compose(opts);
  await fleet.close();
  const { openStore } = await import('../store/open-store.js');
  const { isApiStore } = await import('../store/api-store.js');
  const store = await openStore(config.storePath!);
  if (!isApiStore(store)) throw new SkyfleetError('store_invalid', 'this store keeps no API tokens');
  return { store, name: config.fleet!.metadata.name, close: () => store.close() };
}

function hostPort(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m || Number(m[2]) > 65535)
    throw new UsageError(`--listen: expected HOST:PORT such as 127.0.0.1:7443, got ${JSON.stringify(text)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export async function serverCommand(
  opts: GlobalOptions,
  cmd: {
    listen: string;
    tlsCert?: string;
    tlsKey?: string;
    rateLimit: string;
    metricsAddress: string;
    leaseTtl: string;
    resync: string;
  },
): Promise<void> {
  if (!!cmd.tlsCert !== !!cmd.tlsKey)
    throw new UsageError('--tls-cert and --tls-key go together: pass both, or neither');
  const rate = Number(cmd.rateLimit);
  if (!Number.isFinite(rate) || rate <= 0)
    throw new UsageError(`--rate-limit: expected a number above 0, got ${cmd.rateLimit}`);
  const address = hostPort(cmd.listen);
  const { config, fleet: probe, logger } = await compose(opts, undefined, { ignoreContexts: true });
  await probe.close();
  const [{ openStore }, { isApiStore }, { createFleet }, { createApiServer, listen }] = await Promise.all([
    import('../store/open-store.js'),
    import('../store/api-store.js'),
    import('../fleet.js'),
    import('../server/index.js'),
  ]);
  const store = await openStore(config.storePath!);
  if (!isApiStore(store)) throw new SkyfleetError('store_invalid', 'this store keeps no change feed');
  const fleet = createFleet({
    name: config.fleet!.metadata.name,
    targets: config.fleet!.targets,
    store,
    logger,
    ...(config.callLog ? { callLog: config.callLog } : {}),
  });
  const ac = new AbortController();
  // git sources (skyfleet sync): polled on their intervals, and synced at once by their webhooks
  const { startSyncLoop } = await import('./sync-loop-runner.js');
  const sync = await startSyncLoop(fleet, store, logger, ac.signal);
  const { createControllerMetrics } = await import('../reconcile/metrics.js');
  const { TrafficManager } = await import('../reconcile/traffic-manager.js');
  const metrics = await createControllerMetrics();
  // one set of listeners: the controller serves through them, the API (and the dashboard's charts) reads their stats
  const { trustedCas } = await import('../traffic/trusted-cas.js');
  const ca = trustedCas(config.fleet!.targets);
  const traffic = new TrafficManager(metrics.registry, ca ? { upstreamTls: { ca } } : {});
  const api = createApiServer({
    fleet,
    store,
    logger,
    traffic,
    rateLimit: { perSecond: rate, burst: rate * 2 },
    ...(sync.loop ? { sync: sync.loop } : {}),
  });
  const served = await listen(api, {
    ...address,
    ...(cmd.tlsCert && cmd.tlsKey ? { tls: { cert: cmd.tlsCert, key: cmd.tlsKey } } : {}),
  });
  const { serveMetrics } = await import('./metrics-server.js');
  const metricsServer =
    cmd.metricsAddress === 'off' ? undefined : await serveMetrics(metrics.registry, cmd.metricsAddress);
  const stop = (sig: string) => ac.abort(new Error(sig));
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.stderr.write(`server for fleet ${fleet.name} listening on ${served.url}\n`);
  try {
    await fleet.run({
      signal: ac.signal,
      metrics,
      traffic,
      leaseTtlMs: leaseTtl(cmd.leaseTtl),
      resyncMs: parseDuration(cmd.resync, '--resync'),
    });
  } finally {
    ac.abort(new Error('server stopped'));
    await sync.done;
    await served.close();
    await metricsServer?.close();
    await fleet.close();
    await store.close();
  }
}

export async function serverCertCommand(cmd: { out: string; host: string; days: string }): Promise<void> {
  mkdirSync(cmd.out, { recursive: true, mode: 0o700 });
  const cert = join(cmd.out, 'tls.crt');
  const key = join(cmd.out, 'tls.key');
  const san = /^[\d.]+$|:/.test(cmd.host) ? `IP:${cmd.host}` : `DNS:${cmd.host}`;
  try {
    makeSelfSignedCert({ certFile: cert, keyFile: key, subject: cmd.host, altNames: [san], days: cmd.days });
  } catch (e) {
    throw new SkyfleetError('invalid_input', `openssl could not make the certificate: ${(e as Error).message}`);
  }
  process.stdout.write(`${cert}\n${key}\n`);
}

const view = (t: Omit<TokenRecord, 'hash'>) => ({
  id: t.id,
  name: t.name,
  role: t.role,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  revokedAt: t.revokedAt,
});

export async function tokenCreateCommand(
  opts: GlobalOptions,
  cmd: { role: string; ttl?: string; name?: string },
): Promise<void> {
  const { isRole } = await import('../server/roles.js');
  if (!isRole(cmd.role))
    throw new UsageError(`--role: expected viewer, deployer or admin, got ${JSON.stringify(cmd.role)}`);
  const ttlMs = cmd.ttl ? parseDuration(cmd.ttl, '--ttl') : undefined;
  let token: string;
  let id: string;
  const remote = remoteOf(opts);
  if (remote) {
    const { HttpClient } = await import('../remote/index.js');
    const { readFileSync } = await import('node:fs');
    const http = new HttpClient({ ...remote, ...(remote.ca ? { ca: readFileSync(remote.ca) } : {}) });
    try {
      const res = await http.json<{ token: string; record: { id: string } }>('POST', '/api/v1/tokens', {
        body: {
          role: cmd.role,
          ...(cmd.name ? { name: cmd.name } : {}),
          ...(ttlMs ? { ttlSeconds: Math.ceil(ttlMs / 1000) } : {}),
        },
      });
      ({ token } = res);
      id = res.record.id;
    } finally {
      http.close();
    }
  } else {
    const { createApiToken } = await import('../server/tokens.js');
    const s = await openApiStore(opts);
    try {
      const made = await createApiToken(s.store, {
        role: cmd.role,
        ...(cmd.name ? { name: cmd.name } : {}),
        ...(ttlMs !== undefined ? { ttlMs } : {}),
        now: Date.now(),
      });
      token = made.token;
      id = made.record.id;
    } finally {
      await s.close();
    }
  }
  process.stderr.write(`token ${id} (${cmd.role}) created: it is shown this once\n`);
  process.stdout.write(`${token}\n`);
}

async function adminCall<T>(
  opts: GlobalOptions,
  remoteCall: (http: import('../remote/index.js').HttpClient) => Promise<T>,
  local: (store: ApiStore) => Promise<T>,
): Promise<T> {
  const remote = remoteOf(opts);
  if (remote) {
    const { HttpClient } = await import('../remote/index.js');
    const { readFileSync } = await import('node:fs');
    const http = new HttpClient({ ...remote, ...(remote.ca ? { ca: readFileSync(remote.ca) } : {}) });
    try {
      return await remoteCall(http);
    } finally {
      http.close();
    }
  }
  const s = await openApiStore(opts);
  try {
    return await local(s.store);
  } finally {
    await s.close();
  }
}

export async function tokenListCommand(opts: GlobalOptions): Promise<void> {
  const format = outputFormat(opts);
  const items = await adminCall(
    opts,
    async (http) => (await http.json<{ items: Array<Omit<TokenRecord, 'hash'>> }>('GET', '/api/v1/tokens')).items,
    async (store) => (await store.listTokens()).map(view),
  );
  const now = Date.now();
  await emit(format, items.map(view), () =>
    items.length
      ? table(
          ['ID', 'NAME', 'ROLE', 'AGE', 'EXPIRES', 'STATE'],
          items.map((t) => [
            t.id,
            t.name,
            t.role,
            age(now - t.createdAt),
            t.expiresAt === null ? 'never' : new Date(t.expiresAt).toISOString(),
            t.revokedAt !== null ? 'revoked' : t.expiresAt !== null && t.expiresAt <= now ? 'expired' : 'active',
          ]),
        )
      : 'No tokens.',
  );
}

export async function tokenRevokeCommand(opts: GlobalOptions, id: string): Promise<void> {
  await adminCall(
    opts,
    async (http) => {
      await http.json('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
    },
    async (store) => {
      if (!(await store.revokeToken(id, Date.now()))) {
        throw new SkyfleetError('not_found', `token ${JSON.stringify(id)} not found (or already revoked)`);
      }
    },
  );
  process.stdout.write(`token ${id} revoked\n`);
}

export async function auditCommand(opts: GlobalOptions, cmd: { limit: string }): Promise<void> {
  const format = outputFormat(opts);
  const limit = Number(cmd.limit);
  const items = await adminCall(
    opts,
    async (http) =>
      (await http.json<{ items: import('../store/api-store.js').AuditRecord[] }>('GET', `/api/v1/audit?limit=${limit}`))
        .items,
    (store) => store.listAudit({ limit }),
  );
  await emit(format, items, () =>
    items.length
      ? table(
          ['TIME', 'WHO', 'WHAT', 'FROM', 'STATUS', 'REVISION'],
          items.map((a) => [new Date(a.time).toISOString(), a.who, a.what, a.from, a.status, a.revision ?? '-']),
        )
      : 'No audit records.',
  );
}
