import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ApiServer } from './create-api-server.js';

export interface Listening {
  /** `http://host:port` or `https://host:port`. */
  url: string;
  port: number;
  /** Ends every open connection (watch streams included) and keeps listening: clients reconnect. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** Serves the API on `host:port` (port 0: any free one), over TLS when given a certificate and key. */
export async function listen(
  api: ApiServer,
  address: { host: string; port: number; tls?: { cert: string; key: string } },
): Promise<Listening> {
  const tls = address.tls;
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: api.app.fetch,
        hostname: address.host,
        port: address.port,
        ...(tls
          ? {
              createServer: createHttpsServer,
              serverOptions: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
            }
          : {}),
      },
      (info: AddressInfo) => {
        const host = address.host.includes(':') ? `[${address.host}]` : address.host;
        resolve({
          url: `${tls ? 'https' : 'http'}://${host}:${info.port}`,
          port: info.port,
          dropConnections: () => (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(),
          close: () =>
            new Promise<void>((res) => {
              api.close();
              (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
              server.close(() => res());
            }),
        });
      },
    );
    server.once('error', reject);
  });
}
