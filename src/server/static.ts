import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { ApiEnv } from './endpoint.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Only the dashboard's own files, its API on the same origin, no framing, no referrer. */
const HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * Where `npm run build` puts the dashboard: dist/dashboard of the package, from dist/src/server (the
 * built server) or src/server (tests) alike; never the sources in dashboard/. Undefined when not built.
 */
export function defaultDashboardDir(): string | undefined {
  const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const dir = basename(pkg) === 'dist' ? join(pkg, 'dashboard') : join(pkg, 'dist', 'dashboard');
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}

/** The file `rel` names inside `root`, or undefined when it would climb out of it. */
export function inside(root: string, rel: string): string | undefined {
  const path = resolve(root, rel);
  return path.startsWith(resolve(root) + sep) ? path : undefined;
}

/**
 * Serves the dashboard's static files (bundled at build time: no CDN) at `/` and `/assets/*`,
 * without a token: they hold no data, the dashboard reads everything through the API.
 */
export function serveDashboard(app: Hono<ApiEnv>, dir = defaultDashboardDir()): void {
  const root = dir ? resolve(dir) : undefined;
  const file = (rel: string, immutable: boolean) => {
    if (!root) return undefined;
    const path = inside(root, rel);
    if (!path || !existsSync(path) || !statSync(path).isFile()) return undefined;
    return new Response(readFileSync(path), {
      headers: {
        ...HEADERS,
        'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
    });
  };
  const index = () =>
    file('index.html', false) ??
    new Response('the dashboard is not built: run `npm run build`\n', {
      status: 404,
      headers: { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' },
    });
  app.get('/', index);
  app.get('/index.html', index);
  app.get('/favicon.svg', (c) => file('favicon.svg', false) ?? c.body(null, 404));
  app.get('/assets/*', (c) => {
    const rel = c.req.path.slice(1);
    return file(rel, true) ?? c.text('not found', 404);
  });
}
