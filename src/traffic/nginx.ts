import { createHash } from 'node:crypto';
import type { IdentityTokenSource, RouteEndpoint } from './types.js';

/**
 * How nginx reaches endpoints that are reached over TLS (`RouteEndpoint.serverName`, e.g. a Cloud
 * Run service): one nginx upstream block speaks one protocol and one `proxy_ssl_name`, so each
 * such endpoint is a unix socket in the main upstream (same weight, same passive ejection),
 * served by an internal server that proxies over TLS with SNI, verification and the Host header
 * set to the server name.
 */
export interface NginxTlsOptions {
  /** Directory of the internal servers' unix sockets. */
  socketDir: string;
  /** PEM file of the CAs trusted for TLS endpoints (`proxy_ssl_trusted_certificate`). */
  trustedCertificate: string;
  /**
   * Identity tokens for endpoints with an `identityAudience`, written into the (private) config
   * as `X-Serverless-Authorization`; a new token is a new config and a reload.
   */
  identityTokens?: IdentityTokenSource;
}

/** The defaults of `export nginx`: a socket directory to create, and Debian's CA bundle. */
export const NGINX_EXPORT_TLS: NginxTlsOptions = {
  socketDir: '/run/skyfleet-nginx',
  trustedCertificate: '/etc/ssl/certs/ca-certificates.crt',
};

export interface NginxConfigOptions {
  /** `listen` of the server block. Default '127.0.0.1:8080'. */
  listen?: string;
  /** Idle upstream keep-alive connections per worker. Default 32. */
  keepalive?: number;
  /** passive ejection as nginx does it: max_fails / fail_timeout. Defaults 5 / 10s. */
  maxFails?: number;
  failTimeoutSeconds?: number;
  /** Retry a request that failed to connect once on another server (idempotent ones). Default true. */
  retry?: boolean;
  /** More directives for the `server` block (timeouts, logs), one per entry. */
  serverDirectives?: string[];
  /** Where TLS endpoints' internal servers listen and which CAs they trust. Default NGINX_EXPORT_TLS. */
  tls?: NginxTlsOptions;
}

/**
 * The address nginx's main upstream lists for an endpoint (and `$upstream_addr` logs):
 * `host:port`, or for a TLS endpoint the unix socket of its internal server.
 */
export function nginxServerAddress(e: RouteEndpoint, tls: NginxTlsOptions = NGINX_EXPORT_TLS): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  if (!e.serverName) return `${host}:${e.port}`;
  return `unix:${tls.socketDir}/tls-${tlsKey(e)}.sock`;
}

/** One socket per endpoint (several, e.g. a Cloud Run service's replicas, may share one address). */
function tlsKey(e: RouteEndpoint): string {
  return createHash('sha256').update(`${e.id}|${e.host}|${e.port}|${e.serverName}`).digest('hex').slice(0, 16);
}

/** A server name as nginx may quote it: DNS names only (letters, digits, '-', '.'). */
function checkedServerName(e: RouteEndpoint): string {
  const name = e.serverName!;
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(name))
    throw new Error(
      `endpoint ${e.id}: serverName ${JSON.stringify(name)} is not a DNS name (letters, digits, '-' and '.'); nginx cannot be configured with it`,
    );
  return name;
}

/** An nginx upstream name from a deployment name (letters, digits, '_'). */
export function nginxUpstreamName(name: string): string {
  return `skyfleet_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * Server weights that give each endpoint its traffic share: with revision weights set, an
 * endpoint gets (its revision's weight) x (its weight / the sum of its revision's weights);
 * without, its own weight. Scaled to integers (nginx needs 1..) keeping shares within ~0.1%.
 * Endpoints whose share is 0 are omitted (the revision has weight 0) or marked `down`.
 */
export function nginxServerWeights(
  endpoints: RouteEndpoint[],
  weights?: Record<string, number>,
): Array<{ endpoint: RouteEndpoint; weight: number }> {
  const w = (e: RouteEndpoint) => (e.weight === undefined ? 1 : Math.max(0, e.weight));
  const shares = new Map<RouteEndpoint, number>();
  if (!weights) {
    for (const e of endpoints) shares.set(e, w(e));
  } else {
    const perRevision = new Map<string, number>();
    for (const e of endpoints) perRevision.set(e.revision, (perRevision.get(e.revision) ?? 0) + w(e));
    for (const e of endpoints) {
      const rw = Math.max(0, weights[e.revision] ?? 0);
      const sum = perRevision.get(e.revision) ?? 0;
      shares.set(e, sum > 0 ? (rw * w(e)) / sum : 0);
    }
  }
  const positive = [...shares.values()].filter((s) => s > 0);
  if (positive.length === 0) return endpoints.map((endpoint) => ({ endpoint, weight: 0 }));
  // Integers: divide by the smallest share; when that leaves fractions, scale up (max 1000).
  const min = Math.min(...positive);
  const ratios = positive.map((s) => s / min);
  let scale = 1;
  for (const s of [1, 2, 4, 5, 10, 20, 25, 50, 100, 1000]) {
    scale = s;
    if (ratios.every((r) => Math.abs(r * s - Math.round(r * s)) < 1e-6)) break;
  }
  return endpoints.map((endpoint) => {
    const s = shares.get(endpoint) ?? 0;
    return { endpoint, weight: s > 0 ? Math.max(1, Math.round((s / min) * scale)) : 0 };
  });
}

/**
 * An nginx `upstream` + `server` block with the same endpoints and traffic shares as the router
 * (for `skyfleet export nginx NAME`). nginx's default balancer is the same smooth weighted round
 * robin the router uses for revisions and, by default, for the replicas within one (it is not the
 * router's `balancing: least-request`); open source nginx has no active health checks, so passive
 * `max_fails`/`fail_timeout` stand in for them.
 * The text belongs in nginx's `http` context (e.g. a file in conf.d): a `map` (WebSocket-aware
 * Connection header), the `upstream` and a `server`.
 */
export function nginxUpstreamConfig(
  name: string,
  endpoints: RouteEndpoint[],
  weights?: Record<string, number>,
  options: NginxConfigOptions = {},
): string {
  const upstream = nginxUpstreamName(name);
  const maxFails = options.maxFails ?? 5;
  const failTimeout = options.failTimeoutSeconds ?? 10;
  const lines: string[] = [];
  lines.push(`# skyfleet router export for deployment ${JSON.stringify(name)}`);
  if (weights) {
    const listed = Object.keys(weights).sort();
    lines.push(`# revision weights: ${listed.map((r) => `${r}=${weights[r]}`).join(' ') || '(none)'}`);
  }
  lines.push(`map $http_upgrade $${upstream}_connection {`);
  lines.push('    default upgrade;');
  lines.push("    ''      '';");
  lines.push('}');
  lines.push('');
  lines.push(`upstream ${upstream} {`);
  const servers = nginxServerWeights(endpoints, weights);
  let active = 0;
  const tls = options.tls ?? NGINX_EXPORT_TLS;
  const viaTls: RouteEndpoint[] = [];
  for (const { endpoint: e, weight } of servers) {
    const address = nginxServerAddress(e, tls);
    lines.push(
      `    # ${e.id} revision=${e.revision} target=${e.target} zone=${e.zone}${e.serverName ? ` tls=${checkedServerName(e)}` : ''}`,
    );
    if (weight > 0) {
      active++;
      if (e.serverName) viaTls.push(e);
      lines.push(`    server ${address} weight=${weight} max_fails=${maxFails} fail_timeout=${failTimeout}s;`);
    } else {
      lines.push(`    server ${address} down;`);
    }
  }
  if (active === 0) lines.push('    # no endpoint has a share of the traffic: every request gets 503');
  if (servers.length === 0) lines.push('    server 127.0.0.1:9 down;');
  lines.push(`    keepalive ${options.keepalive ?? 32};`);
  lines.push('}');
  lines.push('');
  lines.push('server {');
  lines.push(`    listen ${options.listen ?? '127.0.0.1:8080'};`);
  for (const d of options.serverDirectives ?? []) lines.push(`    ${d}`);
  lines.push('    location / {');
  if (active === 0) {
    // like the router: nothing in rotation is a 503, not a 502 from an all-down upstream
    lines.push('        default_type text/plain;');
    lines.push(`        return 503 "skyfleet: no endpoint is ready for deployment ${name.replace(/["\\$]/g, '')}\\n";`);
    lines.push('    }');
    lines.push('}');
    lines.push('');
    return lines.join('\n');
  }
  lines.push(`        proxy_pass http://${upstream};`);
  lines.push('        proxy_http_version 1.1;');
  lines.push(`        proxy_set_header Connection $${upstream}_connection;`);
  lines.push('        proxy_set_header Upgrade $http_upgrade;');
  lines.push('        proxy_set_header Host $http_host;');
  lines.push('        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
  lines.push('        proxy_set_header X-Forwarded-Proto $scheme;');
  lines.push('        proxy_set_header X-Forwarded-Host $http_host;');
  if (options.retry === false) {
    lines.push('        proxy_next_upstream off;');
  } else {
    lines.push('        proxy_next_upstream error timeout;');
    lines.push('        proxy_next_upstream_tries 2;');
  }
  lines.push('    }');
  lines.push('}');
  lines.push('');
  for (const e of viaTls) lines.push(...tlsServer(upstream, e, tls, options.keepalive ?? 32));
  return lines.join('\n');
}

/**
 * The identity header of an endpoint with an `identityAudience` (Cloud Run's invoker check): the
 * token when there is one (a JWT: only base64url and dots, so it cannot break out of the quotes),
 * else a comment saying what is missing (`export nginx` has no token source).
 */
function identityLines(e: RouteEndpoint, tls: NginxTlsOptions): string[] {
  if (!e.identityAudience) return [];
  const token = tls.identityTokens?.(e.identityAudience);
  if (token === undefined || !/^[A-Za-z0-9._-]+$/.test(token))
    return [
      `        # needs an identity token for ${e.identityAudience}: proxy_set_header X-Serverless-Authorization "Bearer <token>";`,
    ];
  return [`        proxy_set_header X-Serverless-Authorization "Bearer ${token}";`];
}

/** The internal upstream and server that carry one TLS endpoint's requests from its unix socket. */
function tlsServer(upstream: string, e: RouteEndpoint, tls: NginxTlsOptions, keepalive: number): string[] {
  const name = checkedServerName(e);
  const inner = `${upstream}_tls_${tlsKey(e)}`;
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  return [
    `# ${e.id}: over TLS to ${name}`,
    `upstream ${inner} {`,
    `    server ${host}:${e.port};`,
    `    keepalive ${keepalive};`,
    '}',
    '',
    'server {',
    `    listen ${nginxServerAddress(e, tls)};`,
    '    access_log off;',
    '    location / {',
    `        proxy_pass https://${inner};`,
    '        proxy_http_version 1.1;',
    `        proxy_set_header Connection $${upstream}_connection;`,
    '        proxy_set_header Upgrade $http_upgrade;',
    `        proxy_set_header Host ${name};`,
    ...identityLines(e, tls),
    '        proxy_ssl_server_name on;',
    `        proxy_ssl_name ${name};`,
    '        proxy_ssl_protocols TLSv1.2 TLSv1.3;',
    '        proxy_ssl_verify on;',
    '        proxy_ssl_verify_depth 4;',
    `        proxy_ssl_trusted_certificate ${tls.trustedCertificate};`,
    '        proxy_ssl_session_reuse on;',
    // A kept-alive connection the endpoint closed as a request crossed it (every server closes
    // idle ones) fails before any answer: nginx sends the request again on a new connection
    // (only for a cached connection, and never a non-idempotent request already sent).
    '        proxy_next_upstream error;',
    '        proxy_next_upstream_tries 2;',
    '    }',
    '}',
    '',
  ];
}

export interface NginxDataPlaneConfigOptions {
  /** The deployment. */
  name: string;
  /** `host:port` the server listens on. */
  listen: string;
  /** Directory of the pid file, error log and temp paths. */
  dir: string;
  /** worker_processes. */
  workers: number | 'auto';
  /** The access log file (buffered; one line per request in NGINX_LOG_FORMAT). */
  logPath: string;
  connectTimeoutMs: number;
  upstreamTimeoutMs: number;
  clientIdleTimeoutMs: number;
  /** Old workers still serving requests after a reload are stopped after this. */
  drainTimeoutMs: number;
  maxFails: number;
  failTimeoutSeconds: number;
  retry: boolean;
  /** TLS endpoints' unix sockets (in `dir`) and the CA file written there. */
  tls: NginxTlsOptions;
}

/** The access log line format the nginx data plane parses: `upstream_addr|upstream_status|status|request_time`. */
export const NGINX_LOG_FORMAT = '$upstream_addr|$upstream_status|$status|$request_time';

const seconds = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))}s`;

/**
 * A whole nginx.conf for skyfleet's nginx data plane: the `export nginx` upstream and server for
 * the endpoints in rotation, with the router's timeouts, and a buffered access log (written in
 * 64 KiB blocks, at least every 250 ms) that the data plane's stats and metrics come from.
 */
export function nginxDataPlaneConfig(
  c: NginxDataPlaneConfigOptions,
  endpoints: RouteEndpoint[],
  weights?: Record<string, number>,
): string {
  const site = nginxUpstreamConfig(c.name, endpoints, weights, {
    listen: c.listen,
    keepalive: 32,
    maxFails: c.maxFails,
    failTimeoutSeconds: c.failTimeoutSeconds,
    retry: c.retry,
    tls: c.tls,
    serverDirectives: [
      `keepalive_timeout ${seconds(c.clientIdleTimeoutMs)};`,
      `access_log ${c.logPath} skyfleet buffer=64k flush=250ms;`,
    ],
  });
  return [
    `worker_processes ${c.workers};`,
    'daemon off;',
    'master_process on;',
    `pid ${c.dir}/nginx.pid;`,
    `error_log ${c.dir}/error.log warn;`,
    `worker_shutdown_timeout ${seconds(c.drainTimeoutMs)};`,
    'events { worker_connections 4096; }',
    'http {',
    '  server_tokens off;',
    '  keepalive_requests 100000;',
    `  client_body_temp_path ${c.dir}/body; proxy_temp_path ${c.dir}/proxy; fastcgi_temp_path ${c.dir}/fcgi;`,
    `  uwsgi_temp_path ${c.dir}/uwsgi; scgi_temp_path ${c.dir}/scgi;`,
    `  log_format skyfleet '${NGINX_LOG_FORMAT}';`,
    // the router's timeouts, for the server and for TLS endpoints' internal servers alike
    `  proxy_connect_timeout ${seconds(c.connectTimeoutMs)};`,
    `  proxy_read_timeout ${seconds(c.upstreamTimeoutMs)};`,
    `  proxy_send_timeout ${seconds(c.upstreamTimeoutMs)};`,
    ...site
      .trimEnd()
      .split('\n')
      .map((l) => (l ? `  ${l}` : l)),
    '}',
    '',
  ].join('\n');
}
