import type net from 'node:net';

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
