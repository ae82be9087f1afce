import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import { ValidationError } from '../errors/index.js';

/** Serves a prom-client registry at GET /metrics on HOST:PORT (127.0.0.1 unless told otherwise). */
export async function serveMetrics(
  registry: Registry,
  address: string,
): Promise<{ address: string; close(): Promise<void> }> {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) > 65535) {
    throw new ValidationError([
      {
        path: '--metrics-address',
        message: `expected HOST:PORT or PORT (e.g. 127.0.0.1:9464), got ${JSON.stringify(address)}`,
      },
    ]);
  }
  const host = m[1] ?? '127.0.0.1';
  const server = createServer(async (req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      try {
        const body = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(body);
      } catch (e) {
        res.writeHead(500).end((e as Error).message);
      }
      return;
    }
    res.writeHead(req.url === '/healthz' ? 200 : 404).end(req.url === '/healthz' ? 'ok' : 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), host, () => resolve());
  });
  const a = server.address();
  const bound = typeof a === 'object' && a ? `${host}:${a.port}` : address;
  return { address: bound, close: () => new Promise((r) => server.close(() => r())) };
}
