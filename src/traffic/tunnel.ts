import type net from 'node:net';
import { type ClientSocket, stopExchanges } from './client-socket.js';
import type { UpstreamConn } from './upstream-conn.js';

/**
 * A client connection whose upstream answered 101: the 101 head passed on verbatim (it carries
 * Upgrade/Connection and the handshake headers), the client socket's exchange listeners and the
 * upstream's removed, and the two piped (`pending`: client bytes read before the 101).
 */
export function openTunnel(
  c: ClientSocket,
  up: UpstreamConn,
  head101: Buffer,
  pending: Buffer | null,
): { abort(): void } {
  c.write(head101);
  stopExchanges(c);
  up.detach();
  // an upgraded exchange's upstream is a net.Socket (`streamed` in upstream-conn.ts)
  const tunnel = pipeTunnel(c, up.sock as unknown as net.Socket, pending);
  if (c.isPaused()) c.resume();
  return tunnel;
}

/**
 * An upgraded connection (WebSocket) after the upstream's 101: the client socket `c` and the
 * upstream socket `u` piped both ways, `pending` (client bytes that came before the 101) sent
 * first. No half-open tunnels: a side that ends or closes ends the whole tunnel. `abort` cuts it.
 */
export function pipeTunnel(c: net.Socket, u: net.Socket, pending: Buffer | null): { abort(): void } {
  if (pending !== null) u.write(pending);
  c.pipe(u);
  u.pipe(c);
  u.on('close', () => c.destroy());
  // pipe passes a FIN on to the upstream; end the client side too.
  c.on('end', () => c.end());
  // The client connection's own close listener destroys nothing of the tunnel; do it here.
  c.on('close', () => u.destroy());
  return { abort: () => c.destroy() };
}
