// The client socket's listeners: shared functions (no closures per connection or request) that
// hand each event to the connection's state machine (client-conn.ts).
import type net from 'node:net';

/** What the listeners call on the connection that owns a client socket. */
export interface ClientEvents {
  active: number;
  readonly core: { readonly sweeper: { readonly now: number } };
  readonly up: { readonly sock: { resume(): unknown } } | null;
  onData(chunk: Buffer): void;
  onEnd(): void;
  onClose(): void;
}

const CONN = Symbol('skyfleet.conn');

export type ClientSocket = net.Socket & { [CONN]: ClientEvents };

function cOnData(this: ClientSocket, chunk: Buffer): void {
  const c = this[CONN];
  c.active = c.core.sweeper.now;
  c.onData(chunk);
}
function cOnEnd(this: ClientSocket): void {
  this[CONN].onEnd();
}
function cOnClose(this: ClientSocket): void {
  this[CONN].onClose();
}
function cOnError(): void {
  // 'close' follows and does the bookkeeping.
}
function cOnDrain(this: ClientSocket): void {
  const up = this[CONN].up;
  if (up !== null) up.sock.resume();
}

/** Makes `socket` the client socket of `conn`: no Nagle, its events to the connection. */
export function listenClient(socket: net.Socket, conn: ClientEvents): ClientSocket {
  const sock = socket as ClientSocket;
  sock[CONN] = conn;
  sock.setNoDelay(true);
  sock.on('data', cOnData);
  sock.on('end', cOnEnd);
  sock.on('close', cOnClose);
  sock.on('error', cOnError);
  sock.on('drain', cOnDrain);
  return sock;
}

/** The socket becomes one end of a tunnel: its data, end and drain no longer go to the connection. */
export function stopExchanges(sock: ClientSocket): void {
  sock.removeListener('data', cOnData);
  sock.removeListener('end', cOnEnd);
  sock.removeListener('drain', cOnDrain);
}
