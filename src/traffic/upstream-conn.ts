// The upstream side of the proxy: one pooled keep-alive socket to an endpoint. Its listeners are
// shared functions (no closures per connection or request) that hand what happens to the client
// connection owning the socket for the current exchange, if any.
import net from 'node:net';
import tls from 'node:tls';
import { AttemptFailure } from './attempt-failure.js';
import type { ClientConn } from './client-conn.js';
import type { Ep } from './endpoint.js';
import type { ProxyCore } from './proxy-core.js';
import { RawTcpSocket, type RawTcpHandlers } from './raw-tcp-socket.js';
import type { Timed } from './timeout-sweeper.js';

/** A spare (pre-connected, never used) upstream connection is closed after this idle time. */
export const SPARE_IDLE_MS = 4_000;

const UP = Symbol('skyfleet.up');

/** What the proxy uses of an upstream socket: a net.Socket, a TLSSocket or a RawTcpSocket. */
export interface UpstreamSocket {
  write(data: string | Uint8Array, encoding?: 'latin1'): boolean;
  cork(): void;
  uncork(): void;
  pause(): unknown;
  resume(): unknown;
  destroy(): unknown;
  readonly destroyed: boolean;
  readonly writable: boolean;
}

type UpSocket = UpstreamSocket & { [UP]: UpstreamConn };

/** The listeners of a raw upstream socket: the same functions as a net.Socket's. */
const RAW_HANDLERS = {
  onConnect: upOnConnect,
  onRead: upOnRead,
  onEnd: upOnEnd,
  onError: upOnError,
  onClose: upOnClose,
  onDrain: upOnDrain,
} as unknown as RawTcpHandlers<RawTcpSocket>;

/** Shared read buffer of the upstream sockets: each read is copied out before the next one. */
const READ_BUF = Buffer.allocUnsafe(64 * 1024);

export class UpstreamConn implements Timed {
  readonly sock: UpSocket;
  timeoutMs = 0;
  active = 0;
  owner: ClientConn | null = null;
  connected = false;
  /** Bytes of the current response seen (any: a retry is only safe before the first). */
  gotBytes = false;
  /** The response head is still being read into `buf`. */
  inHead = true;
  buf: Buffer | null = null;
  reusable = false;
  /** Opened ahead of need (preconnect) and not used yet. */
  spare = false;
  /**
   * The current exchange went out on a connection taken from the idle pool. The endpoint may
   * have closed it while idle, under the request: a failure before any answer is then sent
   * again on a new connection to the same endpoint (as nginx and Go's http.Transport do).
   */
  pooled = false;

  /**
   * `streamed`: read through the stream's 'data' events (needed to pipe a WebSocket tunnel);
   * otherwise reads go straight to `upOnRead` (no Readable buffering per chunk).
   */
  constructor(
    readonly core: ProxyCore,
    readonly ep: Ep,
    streamed = false,
  ) {
    const secure = ep.serverName !== null;
    if (!secure && !streamed && core.settings.rawTcp && net.isIP(ep.host) !== 0) {
      // the common case, one connection per request to a replica that closes after each answer:
      // on the raw TCP handle (raw-tcp-socket.ts), its listeners the shared functions below
      const raw = new RawTcpSocket(ep.host, ep.port, RAW_HANDLERS, READ_BUF) as unknown as UpSocket;
      raw[UP] = this;
      this.sock = raw;
      core.sweeper.set(this, core.settings.connectTimeoutMs);
      return;
    }
    const sock = (
      secure
        ? // TLS to a cloud endpoint: SNI and certificate check for its name; reads through 'data'
          tls.connect({
            host: ep.host,
            port: ep.port,
            servername: ep.serverName!,
            ALPNProtocols: ['http/1.1'],
            ...(core.settings.upstreamCa !== undefined ? { ca: core.settings.upstreamCa } : {}),
          })
        : streamed
          ? net.connect({ host: ep.host, port: ep.port, noDelay: true })
          : net.connect({
              host: ep.host,
              port: ep.port,
              noDelay: true,
              onread: { buffer: READ_BUF, callback: upOnRead },
            })
    ) as net.Socket & { [UP]: UpstreamConn };
    if (secure) sock.setNoDelay(true);
    sock[UP] = this;
    this.sock = sock;
    core.sweeper.set(this, core.settings.connectTimeoutMs);
    // a TLS upstream is connected once its handshake (and certificate check) has passed: a bad
    // certificate is a connect failure, retried on another endpoint
    sock.on(secure ? 'secureConnect' : 'connect', upOnConnect);
    if (streamed || secure) sock.on('data', upOnData);
    sock.on('end', upOnEnd);
    sock.on('error', upOnError);
    sock.on('close', upOnClose);
    sock.on('drain', upOnDrain);
  }

  /** Drain timeout of a removed endpoint: cut the exchange. */
  abort(): void {
    const o = this.owner;
    if (o !== null) o.sock.destroy();
    this.sock.destroy();
  }

  /** Back to the endpoint's idle pool, or closed. */
  release(keep: boolean): void {
    this.owner = null;
    this.buf = null;
    const ep = this.ep;
    if (keep && !ep.removed && ep.idle.length < this.core.settings.maxIdlePerEndpoint && !this.sock.destroyed) {
      this.core.sweeper.set(this, this.core.settings.upstreamIdleTimeoutMs);
      ep.idle.push(this);
    } else {
      this.sock.destroy();
    }
  }

  /** The socket becomes one end of a tunnel: no exchange listeners, no idle timeout any more. */
  detach(): void {
    const u = this.sock as unknown as net.Socket; // upgraded exchanges are on a net.Socket
    u.removeListener('data', upOnData);
    u.removeListener('end', upOnEnd);
    u.removeListener('close', upOnClose);
    u.removeListener('drain', upOnDrain);
    this.core.sweeper.delete(this);
  }

  timedOut(): void {
    upOnTimeout.call(this.sock);
  }

  dropFromPool(): void {
    const idle = this.ep.idle;
    const i = idle.indexOf(this);
    if (i >= 0) idle.splice(i, 1);
  }
}

/**
 * A connection to `ep` for the exchange of `owner`: an idle one from the endpoint's pool when
 * `reuse` allows, otherwise a new one (`streamed` for an upgrade: see UpstreamConn).
 */
export function acquireUpstream(
  core: ProxyCore,
  ep: Ep,
  owner: ClientConn,
  reuse: boolean,
  streamed: boolean,
): UpstreamConn {
  let up: UpstreamConn | null = null;
  if (reuse) {
    const idle = ep.idle as UpstreamConn[];
    while (idle.length > 0) {
      // Keep-alive sockets: the most recently used (the others may time out). Spares: the
      // oldest, the one most likely set up all the way (through a docker-proxy, say) by now.
      const u = (idle[0] as UpstreamConn).spare ? idle.shift()! : idle.pop()!;
      u.spare = false;
      if (!u.sock.destroyed && u.sock.writable) {
        up = u;
        core.sweeper.set(u, core.settings.upstreamTimeoutMs);
        break;
      }
      u.sock.destroy();
    }
  }
  if (up === null) {
    up = new UpstreamConn(core, ep, streamed);
    up.pooled = false;
  } else {
    up.pooled = true;
  }
  up.owner = owner;
  up.gotBytes = false;
  up.inHead = true;
  up.buf = null;
  return up;
}

/**
 * Preconnect (like Envoy's preconnect policy): an upstream that closed the connection after a
 * response (HTTP/1.0 style, e.g. busybox httpd) gets a fresh connection opened at once and kept
 * idle, so the next request to it does not wait for a TCP handshake. At most
 * `settings.preconnect` idle connections per endpoint; spares are closed after SPARE_IDLE_MS.
 */
export function preconnect(core: ProxyCore, ep: Ep): void {
  if (ep.removed || ep.idle.length >= core.settings.preconnect) return;
  const u = new UpstreamConn(core, ep);
  u.spare = true;
  ep.idle.push(u);
}

function upOnConnect(this: UpSocket): void {
  const up = this[UP];
  up.connected = true;
  up.core.sweeper.set(up, up.owner === null ? SPARE_IDLE_MS : up.core.settings.upstreamTimeoutMs);
}

function upOnRead(this: UpSocket, n: number, buf: Uint8Array): boolean {
  const chunk = Buffer.allocUnsafe(n);
  chunk.set(buf.subarray(0, n));
  upOnData.call(this, chunk);
  return true;
}

function upOnData(this: UpSocket, chunk: Buffer): void {
  const up = this[UP];
  up.active = up.core.sweeper.now;
  const o = up.owner;
  if (o === null) {
    // Data on an idle keep-alive socket: the upstream is confused; close it.
    up.dropFromPool();
    this.destroy();
    return;
  }
  up.gotBytes = true;
  o.onUpstreamData(up, chunk);
}

/** The client connection `up` serves now; null for an idle socket, which leaves the pool (closed if `close`). */
function ownerOrDrop(up: UpstreamConn, close: boolean): ClientConn | null {
  const o = up.owner;
  if (o === null) {
    up.dropFromPool();
    if (close) up.sock.destroy();
  }
  return o;
}

function upOnEnd(this: UpSocket): void {
  const up = this[UP];
  ownerOrDrop(up, true)?.onUpstreamEnd(up);
}

function upOnError(this: UpSocket, err: NodeJS.ErrnoException): void {
  const up = this[UP];
  const o = ownerOrDrop(up, false);
  if (o === null) return;
  const reason = !up.connected
    ? AttemptFailure.Connect
    : err.code === 'ETIMEDOUT'
      ? AttemptFailure.Timeout
      : AttemptFailure.Reset;
  o.onUpstreamFailure(up, reason, err.code ?? err.message);
}

function upOnClose(this: UpSocket): void {
  const up = this[UP];
  up.core.sweeper.delete(up);
  const reason = up.connected ? AttemptFailure.Reset : AttemptFailure.Connect;
  ownerOrDrop(up, false)?.onUpstreamFailure(up, reason, 'upstream closed the connection');
}

function upOnTimeout(this: UpSocket): void {
  const up = this[UP];
  const o = ownerOrDrop(up, true);
  if (o === null) return;
  if (up.connected) o.onUpstreamFailure(up, AttemptFailure.Timeout, 'upstream timeout');
  else o.onUpstreamFailure(up, AttemptFailure.Connect, 'connect timeout');
}

function upOnDrain(this: UpSocket): void {
  const o = this[UP].owner;
  if (o !== null && o.state === 'exchange') o.sock.resume();
}
