// The data path: an HTTP/1.1 reverse proxy on raw sockets. The client side reads request heads
// itself (no IncomingMessage/ServerResponse), the upstream side writes one head string to a
// pooled keep-alive socket (no ClientRequest/Agent) and forwards the response bytes as they come,
// rewriting only the head. Bodies are never decoded: Content-Length bodies are counted, chunked
// bodies are scanned for their end, close-delimited responses are re-framed as chunked for
// HTTP/1.1 clients. A request is routed on its own (per request, not per connection), one at a
// time per client connection (pipelined requests wait, in order). Upgrade requests become a raw
// two-way pipe once the upstream answers 101.
//
// Per request the hot path allocates the head strings and little else: per-connection state
// lives in one object, socket listeners are shared functions (no closures per request).
import net from 'node:net';
import {
  type ChunkedError,
  ChunkedScanner,
  hasBadValueChars,
  headEnd,
  normalizeBareLfHead,
  isIdempotent,
  isToken,
  simpleResponse,
} from './http1.js';
import type { Ep } from './endpoint.js';

export const R_HTTP_5XX = 0;
export const R_CONNECT = 1;
export const R_RESET = 2;
export const R_TIMEOUT = 3;
export const R_PROTOCOL = 4;

export interface ProxySettings {
  connectTimeoutMs: number;
  upstreamTimeoutMs: number;
  clientIdleTimeoutMs: number;
  maxIdlePerEndpoint: number;
  upstreamIdleTimeoutMs: number;
  retryAttempts: number;
  /** Spare connections kept per endpoint whose upstream closes after every response. */
  preconnect: number;
}

/** A spare (pre-connected, never used) upstream connection is closed after this idle time. */
export const SPARE_IDLE_MS = 4_000;

/** What the proxy needs from the router. */
export interface ProxyCore {
  readonly settings: ProxySettings;
  /** Idle timeouts of this router's client and upstream connections. */
  readonly sweeper: TimeoutSweeper;
  pickEndpoint(exclude: Ep | null): Ep | null;
  now(): number;
  /** A response (or router-made error answer) finished on `ep`; `error` for 5xx/proxy failures. */
  recordResponse(ep: Ep, status: number, latencyMs: number, error: boolean): void;
  /** An attempt failed (passive ejection input). */
  attemptFailed(ep: Ep, reason: number): void;
  /** A response head arrived (resets the failure run, or counts a 5xx when configured). */
  attemptAnswered(ep: Ep, status: number): void;
  /** `ep.inFlight` went down: drain bookkeeping. */
  released(ep: Ep): void;
  retried(from: Ep): void;
  unrouted(reason: 'no_endpoint' | 'bad_request'): void;
  connectionClosed(conn: ClientConn): void;
}

const MAX_HEAD = 64 * 1024;
const MAX_RETRY_BODY = 64 * 1024;
/** A response head is held for its body (one write for both) when the body is at most this. */
const HOLD_HEAD_MAX = 16 * 1024;

const M_NONE = 0;
const M_LENGTH = 1;
const M_CHUNKED = 2;
const M_CLOSE = 3;

const ST_HEAD = 0;
const ST_EXCHANGE = 1;
const ST_TUNNEL = 2;
const ST_CLOSED = 3;

const CONN = Symbol('skyfleet.conn');
const UP = Symbol('skyfleet.up');

type ClientSocket = net.Socket & { [CONN]: ClientConn };
type UpSocket = net.Socket & { [UP]: UpConn };

function concat(a: Buffer | null, b: Buffer): Buffer {
  return a === null || a.length === 0 ? b : Buffer.concat([a, b]);
}

// ---------------------------------------------------------------- idle timeouts

/** A connection with an idle timeout checked by a TimeoutSweeper. */
export interface Timed {
  /** 0: no timeout. */
  timeoutMs: number;
  /** `sweeper.now` at the last activity (or when the timeout was set). */
  active: number;
  timedOut(): void;
}

/**
 * Idle timeouts of many sockets on one interval timer, instead of a Node timer per socket
 * (`socket.setTimeout` allocates a Timeout per call and re-inserts it on every read and write:
 * about 15 µs a proxied request). Activity stamps a connection with `now`, a clock the sweep
 * advances, so stamping costs a field write. A timeout fires after its idle time, at most two
 * periods late (never early); a period is an eighth of the shortest timeout, within [5 ms, 1 s].
 */
export class TimeoutSweeper {
  /** The time (performance.now()) of the last sweep, or of the first add after an idle spell. */
  now = performance.now();
  private readonly items = new Set<Timed>();
  private timer: NodeJS.Timeout | null = null;
  readonly periodMs: number;

  constructor(shortestTimeoutMs: number) {
    this.periodMs = Math.min(1_000, Math.max(5, Math.floor(shortestTimeoutMs / 8)));
  }

  /** Tracks `t` with timeout `ms` from now (0: none). */
  set(t: Timed, ms: number): void {
    t.timeoutMs = ms;
    t.active = this.now;
    if (this.items.has(t)) return;
    this.items.add(t);
    if (this.timer === null) {
      this.now = performance.now();
      t.active = this.now;
      this.timer = setInterval(() => this.sweep(), this.periodMs);
      this.timer.unref();
    }
  }

  delete(t: Timed): void {
    if (!this.items.delete(t)) return;
    if (this.items.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Connections tracked (for tests). */
  get size(): number {
    return this.items.size;
  }

  private sweep(): void {
    const now = performance.now();
    this.now = now;
    // `active` may be a period old when stamped: wait one more period to never fire early.
    const slack = this.periodMs;
    for (const t of this.items) {
      if (t.timeoutMs > 0 && now - t.active >= t.timeoutMs + slack) {
        t.active = now; // fires again only after another idle period, like socket.setTimeout
        t.timedOut();
      }
    }
  }
}

// ---------------------------------------------------------------- upstream connections

export class UpConn implements Timed {
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
   * `streamed`: read through the stream's 'data' events (needed to pipe a WebSocket tunnel);
   * otherwise reads go straight to `upOnRead` (no Readable buffering per chunk).
   */
  constructor(
    readonly core: ProxyCore,
    readonly ep: Ep,
    streamed = false,
  ) {
    const sock = (
      streamed
        ? net.connect({ host: ep.host, port: ep.port, noDelay: true })
        : net.connect({ host: ep.host, port: ep.port, noDelay: true, onread: { buffer: READ_BUF, callback: upOnRead } })
    ) as UpSocket;
    sock[UP] = this;
    this.sock = sock;
    core.sweeper.set(this, core.settings.connectTimeoutMs);
    sock.on('connect', upOnConnect);
    if (streamed) sock.on('data', upOnData);
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

  timedOut(): void {
    upOnTimeout.call(this.sock);
  }

  dropFromPool(): void {
    const idle = this.ep.idle;
    const i = idle.indexOf(this);
    if (i >= 0) idle.splice(i, 1);
  }
}

function upOnConnect(this: UpSocket): void {
  const up = this[UP];
  up.connected = true;
  up.core.sweeper.set(up, up.owner === null ? SPARE_IDLE_MS : up.core.settings.upstreamTimeoutMs);
}

/**
 * Preconnect (like Envoy's preconnect policy): an upstream that closed the connection after a
 * response (HTTP/1.0 style, e.g. busybox httpd) gets a fresh connection opened at once and kept
 * idle, so the next request to it does not wait for a TCP handshake. At most
 * `settings.preconnect` idle connections per endpoint; spares are closed after SPARE_IDLE_MS.
 */
function refill(core: ProxyCore, ep: Ep): void {
  if (ep.removed || ep.idle.length >= core.settings.preconnect) return;
  const u = new UpConn(core, ep);
  u.spare = true;
  ep.idle.push(u);
}

/** Shared read buffer of the upstream sockets: each read is copied out before the next one. */
const READ_BUF = Buffer.allocUnsafe(64 * 1024);

function upOnRead(this: net.Socket, n: number, buf: Uint8Array): boolean {
  const chunk = Buffer.allocUnsafe(n);
  chunk.set(buf.subarray(0, n));
  upOnData.call(this as UpSocket, chunk);
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

function upOnEnd(this: UpSocket): void {
  const up = this[UP];
  const o = up.owner;
  if (o === null) {
    up.dropFromPool();
    this.destroy();
    return;
  }
  o.onUpstreamEnd(up);
}

function upOnError(this: UpSocket, err: NodeJS.ErrnoException): void {
  const up = this[UP];
  const o = up.owner;
  if (o === null) {
    up.dropFromPool();
    return;
  }
  const reason = !up.connected ? R_CONNECT : err.code === 'ETIMEDOUT' ? R_TIMEOUT : R_RESET;
  o.onUpstreamFailure(up, reason, err.code ?? err.message);
}

function upOnClose(this: UpSocket): void {
  const up = this[UP];
  up.core.sweeper.delete(up);
  const o = up.owner;
  if (o === null) {
    up.dropFromPool();
    return;
  }
  o.onUpstreamFailure(up, up.connected ? R_RESET : R_CONNECT, 'upstream closed the connection');
}

function upOnTimeout(this: UpSocket): void {
  const up = this[UP];
  const o = up.owner;
  if (o === null) {
    up.dropFromPool();
    this.destroy();
    return;
  }
  o.onUpstreamFailure(up, up.connected ? R_TIMEOUT : R_CONNECT, up.connected ? 'upstream timeout' : 'connect timeout');
}

function upOnDrain(this: UpSocket): void {
  const o = this[UP].owner;
  if (o !== null && o.state === ST_EXCHANGE) o.sock.resume();
}

// ---------------------------------------------------------------- client connections

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

export class ClientConn implements Timed {
  readonly sock: ClientSocket;
  timeoutMs = 0;
  active = 0;
  state = ST_HEAD;
  /** Unconsumed client bytes (a partial head, or the next pipelined request). */
  buf: Buffer | null = null;
  private readonly ip: string;
  private ended = false;

  // the current request
  private method = '';
  private head = '';
  private http10 = false;
  keepAlive = true;
  private upgrade = false;
  private reqMode = M_NONE;
  private reqRemaining = 0;
  private reqDone = true;
  private hasBody = false;
  private reqChunks: ChunkedScanner | null = null;
  private bodyCopy: Buffer[] | null = null;
  private bodyCopyBytes = 0;
  private attempts = 0;
  private started = 0;
  ep: Ep | null = null;
  up: UpConn | null = null;

  // the current response
  private resStatus = 0;
  private resMode = M_NONE;
  private resRemaining = 0;
  private resChunks: ChunkedScanner | null = null;
  private resEncode = false;
  /** Bytes of the response were written to the client (no retry, no error page after this). */
  private sent = false;

  constructor(
    readonly core: ProxyCore,
    socket: net.Socket,
  ) {
    const sock = socket as ClientSocket;
    sock[CONN] = this;
    this.sock = sock;
    this.ip = sock.remoteAddress ?? '';
    sock.setNoDelay(true);
    core.sweeper.set(this, core.settings.clientIdleTimeoutMs);
    sock.on('data', cOnData);
    sock.on('end', cOnEnd);
    sock.on('close', cOnClose);
    sock.on('error', cOnError);
    sock.on('drain', cOnDrain);
  }

  /** Closes the connection now (router close). */
  destroy(): void {
    this.sock.destroy();
  }

  /** Closes the connection if idle, or after the current response. */
  closeWhenIdle(): void {
    this.keepAlive = false;
    if (this.state === ST_HEAD && this.buf === null) this.sock.end();
  }

  onData(chunk: Buffer): void {
    if (this.state === ST_HEAD) {
      this.buf = concat(this.buf, chunk);
      this.processHead();
    } else if (this.state === ST_EXCHANGE) {
      if (!this.reqDone && this.up !== null) {
        this.forwardBody(chunk, 0);
      } else {
        // Pipelined request (or bytes before a 101): wait for the current response.
        this.buf = concat(this.buf, chunk);
        this.sock.pause();
      }
    }
  }

  onEnd(): void {
    this.ended = true;
    if (this.state === ST_HEAD) this.sock.end();
    else if (this.state === ST_EXCHANGE && !this.reqDone) {
      // The client stopped mid-body: the request cannot complete.
      this.sock.destroy();
    }
  }

  timedOut(): void {
    this.onTimeout();
  }

  onTimeout(): void {
    if (this.state === ST_HEAD) {
      if (this.buf !== null)
        this.sock.end(simpleResponse(408, 'skyfleet router: request head not received in time', true));
      else this.sock.destroy();
    }
  }

  onClose(): void {
    this.core.sweeper.delete(this);
    const prev = this.state;
    this.state = ST_CLOSED;
    const up = this.up;
    const ep = this.ep;
    if (up !== null && ep !== null) {
      this.up = null;
      this.ep = null;
      up.owner = null;
      up.sock.destroy();
      ep.busy.delete(up);
      ep.inFlight--;
      this.core.released(ep);
    } else if (prev === ST_TUNNEL && ep !== null) {
      this.ep = null;
      if (this.tunnel !== null) ep.busy.delete(this.tunnel);
      ep.inFlight--;
      this.core.released(ep);
    }
    this.core.connectionClosed(this);
  }

  private processHead(): void {
    for (;;) {
      const buf = this.buf;
      if (buf === null || this.state !== ST_HEAD) return;
      const end = headEnd(buf, 0);
      if (end < 0) {
        if (buf.length > MAX_HEAD) this.reject(431, 'skyfleet router: request head too large');
        return;
      }
      if (end === 0) {
        // Tolerate a stray CRLF between requests.
        this.buf = buf.length > 4 ? buf.subarray(2) : null;
        continue;
      }
      const rest = end + 4 < buf.length ? buf.subarray(end + 4) : null;
      this.buf = null;
      const problem = this.parseRequest(buf, end);
      if (problem !== null) {
        this.reject(400, `skyfleet router: bad request: ${problem}`);
        return;
      }
      this.started = performance.now();
      this.state = ST_EXCHANGE;
      this.attempts = 0;
      this.sent = false;
      if (!this.dispatch(null)) {
        this.core.unrouted('no_endpoint');
        if (!this.reqDone) this.keepAlive = false;
        this.answer(503, 'skyfleet router: no endpoint is ready for this deployment');
        if (rest !== null) this.buf = rest;
        this.nextRequest();
        return;
      }
      if (rest !== null) {
        if (!this.reqDone) this.forwardBody(rest, 0);
        else {
          this.buf = rest;
          this.sock.pause();
        }
      }
      return;
    }
  }

  private reject(status: number, message: string): void {
    this.core.unrouted('bad_request');
    this.state = ST_CLOSED;
    this.sock.end(simpleResponse(status, message, true));
  }

  /** Parses the request head in buf[0, end); sets the request fields; returns a problem or null. */
  private parseRequest(buf: Buffer, end: number): string | null {
    const head = buf.toString('latin1', 0, end + 2);
    const n = head.length;
    const lineEnd = head.indexOf('\r\n');
    const sp1 = head.indexOf(' ');
    const sp2 = head.lastIndexOf(' ', lineEnd);
    if (sp1 <= 0 || sp2 <= sp1 + 1) return 'malformed request line';
    const method = head.slice(0, sp1);
    const version = head.slice(sp2 + 1, lineEnd);
    if (!isToken(method)) return 'bad method';
    const http10 = version === 'HTTP/1.0';
    if (!http10 && version !== 'HTTP/1.1') return `unsupported version ${JSON.stringify(version.slice(0, 16))}`;
    const target = head.slice(sp1 + 1, sp2);
    if (target.indexOf(' ') >= 0 || hasBadValueChars(target)) return 'bad request target';

    let out = http10 ? `${method} ${target} HTTP/1.0\r\n` : head.slice(0, lineEnd + 2);
    let seg = lineEnd + 2;
    let pos = seg;
    let host: string | null = null;
    let cl = -1;
    let te: string | null = null;
    let connection = '';
    let upgrade = '';
    let xff: string | null = null;
    while (pos < n) {
      const e = head.indexOf('\r\n', pos);
      const colon = head.indexOf(':', pos);
      if (colon < 0 || colon > e) return 'header line without a colon';
      const name = head.slice(pos, colon);
      if (!isToken(name)) return 'bad header name';
      const value = head.slice(colon + 1, e).trim();
      if (hasBadValueChars(value)) return 'bad header value';
      let drop = false;
      switch (name.length) {
        case 4:
          if (name.toLowerCase() === 'host') {
            if (host !== null) return 'more than one Host';
            host = value;
          }
          break;
        case 14:
          if (name.toLowerCase() === 'content-length') {
            if (!/^\d{1,15}$/.test(value)) return 'bad Content-Length';
            const v = Number(value);
            if (cl >= 0 && cl !== v) return 'conflicting Content-Length';
            cl = v;
          }
          break;
        case 17: {
          const l = name.toLowerCase();
          if (l === 'transfer-encoding') {
            te = te === null ? value : `${te}, ${value}`;
            drop = true;
          } else if (l === 'x-forwarded-proto') drop = true;
          break;
        }
        case 10: {
          const l = name.toLowerCase();
          if (l === 'connection') {
            connection = connection === '' ? value : `${connection}, ${value}`;
            drop = true;
          } else if (l === 'keep-alive') drop = true;
          break;
        }
        case 7:
          if (name.toLowerCase() === 'upgrade') {
            upgrade = value;
            drop = true;
          }
          break;
        case 15:
          if (name.toLowerCase() === 'x-forwarded-for') {
            xff = xff === null ? value : `${xff}, ${value}`;
            drop = true;
          }
          break;
        case 16: {
          const l = name.toLowerCase();
          if (l === 'x-forwarded-host' || l === 'proxy-connection') drop = true;
          break;
        }
        case 2:
          if (name.toLowerCase() === 'te') drop = true;
          break;
      }
      if (drop) {
        if (pos > seg) out += head.slice(seg, pos);
        seg = e + 2;
      }
      pos = e + 2;
    }
    if (seg < n) out += head.slice(seg, n);
    if (host === null && !http10) return 'missing Host';

    let keepAlive = !http10;
    let upgradeReq = false;
    if (connection !== '') {
      const tokens = connection.toLowerCase().split(',');
      let extra: string[] | null = null;
      for (const raw of tokens) {
        const t = raw.trim();
        if (t === 'close') keepAlive = false;
        else if (t === 'keep-alive') keepAlive = keepAlive || !http10;
        else if (t === 'upgrade') upgradeReq = upgrade !== '';
        else if (t !== '') {
          if (extra === null) extra = [];
          extra.push(t);
        }
      }
      if (extra !== null) out = dropHeaders(out, extra);
    }
    this.method = method;
    this.http10 = http10;
    this.keepAlive = keepAlive && !http10;
    this.upgrade = upgradeReq && !http10;
    this.hasBody = false;
    this.reqDone = true;
    this.reqMode = M_NONE;
    if (te !== null) {
      if (cl >= 0) return 'both Transfer-Encoding and Content-Length';
      if (http10) return 'Transfer-Encoding in HTTP/1.0';
      if (!/(^|,)\s*chunked\s*$/i.test(te)) return 'Transfer-Encoding without final chunked';
      out += `Transfer-Encoding: ${te}\r\n`;
      this.reqMode = M_CHUNKED;
      if (this.reqChunks === null) this.reqChunks = new ChunkedScanner();
      else this.reqChunks.reset();
      this.reqDone = false;
      this.hasBody = true;
    } else if (cl > 0) {
      this.reqMode = M_LENGTH;
      this.reqRemaining = cl;
      this.reqDone = false;
      this.hasBody = true;
    }
    if (this.upgrade && this.hasBody) return 'upgrade request with a body';
    out += `X-Forwarded-For: ${xff === null ? this.ip : `${xff}, ${this.ip}`}\r\nX-Forwarded-Proto: http\r\n`;
    if (host !== null) out += `X-Forwarded-Host: ${host}\r\n`;
    if (this.upgrade) out += `Connection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n`;
    else if (http10) out += 'Connection: close\r\n\r\n';
    else out += '\r\n';
    this.head = out;
    // Keep the body sent so far while a retry is possible (idempotent methods only).
    this.bodyCopy = this.hasBody && this.core.settings.retryAttempts > 0 && isIdempotent(method) ? [] : null;
    this.bodyCopyBytes = 0;
    return null;
  }

  /** Picks an endpoint and sends the head (and any body kept for a retry); false when none. */
  private dispatch(exclude: Ep | null): boolean {
    const core = this.core;
    const ep = core.pickEndpoint(exclude);
    if (ep === null) return false;
    this.ep = ep;
    ep.inFlight++;
    let up: UpConn | null = null;
    if (!this.upgrade && !this.http10) {
      const idle = ep.idle as UpConn[];
      while (idle.length > 0) {
        // Keep-alive sockets: the most recently used (the others may time out). Spares: the
        // oldest, the one most likely set up all the way (through a docker-proxy, say) by now.
        const u = (idle[0] as UpConn).spare ? idle.shift()! : idle.pop()!;
        u.spare = false;
        if (!u.sock.destroyed && u.sock.writable) {
          up = u;
          core.sweeper.set(u, core.settings.upstreamTimeoutMs);
          break;
        }
        u.sock.destroy();
      }
    }
    if (up === null) up = new UpConn(core, ep, this.upgrade);
    up.owner = this;
    up.gotBytes = false;
    up.inHead = true;
    up.buf = null;
    this.up = up;
    ep.busy.add(up);
    this.resStatus = 0;
    this.sent = false;
    this.heldHead = null;
    const copy = this.bodyCopy;
    if (copy !== null && copy.length > 0) {
      up.sock.cork();
      up.sock.write(this.head, 'latin1');
      for (const b of copy) up.sock.write(b);
      up.sock.uncork();
    } else {
      up.sock.write(this.head, 'latin1');
    }
    return true;
  }

  /** Forwards request body bytes from chunk[start..] to the upstream; the rest is the next request. */
  private forwardBody(chunk: Buffer, start: number): void {
    let stop: number;
    if (this.reqMode === M_LENGTH) {
      const take = Math.min(this.reqRemaining, chunk.length - start);
      this.reqRemaining -= take;
      stop = start + take;
      if (this.reqRemaining === 0) this.reqDone = true;
    } else {
      let idx: number;
      try {
        idx = this.reqChunks!.scan(chunk, start);
      } catch (err) {
        this.failRequestBody((err as ChunkedError).message);
        return;
      }
      stop = idx < 0 ? chunk.length : idx;
      if (idx >= 0) this.reqDone = true;
    }
    const part = start === 0 && stop === chunk.length ? chunk : chunk.subarray(start, stop);
    if (part.length > 0) {
      const copy = this.bodyCopy;
      if (copy !== null) {
        this.bodyCopyBytes += part.length;
        if (this.bodyCopyBytes > MAX_RETRY_BODY) this.bodyCopy = null;
        else copy.push(part);
      }
      const up = this.up!;
      up.active = this.core.sweeper.now;
      if (!up.sock.write(part)) this.sock.pause();
    }
    if (stop < chunk.length) {
      this.buf = concat(this.buf, chunk.subarray(stop));
      this.sock.pause();
    }
  }

  private failRequestBody(problem: string): void {
    this.core.unrouted('bad_request');
    const up = this.up;
    const ep = this.ep;
    if (up !== null && ep !== null) {
      this.up = null;
      this.ep = null;
      up.owner = null;
      ep.busy.delete(up);
      up.sock.destroy();
      ep.inFlight--;
      this.core.released(ep);
    }
    if (!this.sent) this.sock.end(simpleResponse(400, `skyfleet router: bad request body: ${problem}`, true));
    else this.sock.destroy();
    this.state = ST_CLOSED;
  }

  onUpstreamData(up: UpConn, chunk: Buffer): void {
    if (!up.inHead) {
      const held = this.heldHead;
      this.heldHead = null;
      this.forwardResponse(up, chunk, 0, held);
      return;
    }
    let buf = concat(up.buf, chunk);
    let start = 0;
    for (;;) {
      let end = headEnd(buf, start);
      if (end < 0) {
        // a head whose lines end in a bare LF (busybox CGI): rewrite it with CRLF and go on
        const fixed = normalizeBareLfHead(buf, start);
        if (fixed) {
          buf = fixed;
          start = 0;
          end = headEnd(buf, 0);
        }
      }
      if (end < 0) {
        if (buf.length - start > MAX_HEAD) {
          this.upstreamProtocolError(up, 'response head too large');
          return;
        }
        up.buf = start === 0 ? buf : buf.subarray(start);
        return;
      }
      const interim = this.parseResponse(up, buf, start, end);
      if (interim === -1) return; // failed, handled
      if (interim === 1) {
        start = end + 4;
        continue;
      }
      if (interim === 2) {
        this.startTunnel(up, buf);
        return;
      }
      up.inHead = false;
      up.buf = null;
      if (this.resMode === M_NONE) {
        this.writeClient(this.resHead, null, 0, 0);
        if (end + 4 < buf.length) up.reusable = false;
        this.finishResponse();
      } else if (this.resMode === M_LENGTH && end + 4 === buf.length && this.resRemaining <= HOLD_HEAD_MAX) {
        // The head of a small response came alone (an upstream that writes head and body
        // separately): hold it for the body, which follows at once, and send both in one write
        // (one syscall and one client wake-up instead of two). A failure before the body
        // still gets a proper 502/504, since nothing was sent.
        this.heldHead = this.resHead;
      } else {
        this.forwardResponse(up, buf, end + 4, this.resHead);
      }
      return;
    }
  }

  private resHead = '';
  /** A response head waiting for its body, to go out with it in one write. */
  private heldHead: string | null = null;
  private tunnel: { abort(): void } | null = null;

  /**
   * Parses a response head in buf[start, end). Returns 0 for a final response (fields set,
   * `resHead` holds the head for the client), 1 for an interim 1xx (already forwarded), 2 for a
   * 101 to an upgrade request, -1 after a protocol failure (handled).
   */
  private parseResponse(up: UpConn, buf: Buffer, start: number, end: number): number {
    const head = buf.toString('latin1', start, end + 2);
    const n = head.length;
    const lineEnd = head.indexOf('\r\n');
    if (
      lineEnd < 12 ||
      !head.startsWith('HTTP/1.') ||
      head.charCodeAt(8) !== 32 ||
      (lineEnd > 12 && head.charCodeAt(12) !== 32)
    ) {
      this.upstreamProtocolError(up, 'malformed status line');
      return -1;
    }
    const status = Number(head.slice(9, 12));
    if (!(status >= 100 && status <= 999)) {
      this.upstreamProtocolError(up, 'malformed status code');
      return -1;
    }
    const upHttp10 = head.charCodeAt(7) === 48;
    if (status === 101) {
      if (!this.upgrade) {
        this.upstreamProtocolError(up, '101 to a request that did not ask to upgrade');
        return -1;
      }
      this.resStatus = 101;
      return 2;
    }
    if (status < 200) {
      // Interim (100 Continue, 103 Early Hints): pass along unless the client is HTTP/1.0.
      if (!this.http10) this.sock.write(`HTTP/1.1${head.slice(8)}\r\n`, 'latin1');
      return 1;
    }
    let out = `HTTP/1.1${head.slice(8, lineEnd + 2)}`;
    let seg = lineEnd + 2;
    let pos = seg;
    let cl = -1;
    let chunked = false;
    let close = upHttp10;
    while (pos < n) {
      const e = head.indexOf('\r\n', pos);
      const colon = head.indexOf(':', pos);
      if (colon < 0 || colon > e) {
        this.upstreamProtocolError(up, 'header line without a colon');
        return -1;
      }
      let drop = false;
      switch (colon - pos) {
        case 14:
          if (head.slice(pos, colon).toLowerCase() === 'content-length') {
            const v = Number(head.slice(colon + 1, e).trim());
            if (!Number.isSafeInteger(v) || v < 0 || (cl >= 0 && cl !== v)) {
              this.upstreamProtocolError(up, 'bad Content-Length');
              return -1;
            }
            cl = v;
          }
          break;
        case 17:
          if (head.slice(pos, colon).toLowerCase() === 'transfer-encoding') {
            chunked = /(^|,)\s*chunked\s*$/i.test(head.slice(colon + 1, e));
            if (!chunked) close = true; // not chunked last: the body ends with the connection
            drop = true;
          }
          break;
        case 10: {
          const l = head.slice(pos, colon).toLowerCase();
          if (l === 'connection') {
            const v = head.slice(colon + 1, e).toLowerCase();
            if (v.includes('close')) close = true;
            else if (upHttp10 && v.includes('keep-alive')) close = false;
            drop = true;
          } else if (l === 'keep-alive') drop = true;
          break;
        }
        case 16:
          if (head.slice(pos, colon).toLowerCase() === 'proxy-connection') drop = true;
          break;
      }
      if (drop) {
        if (pos > seg) out += head.slice(seg, pos);
        seg = e + 2;
      }
      pos = e + 2;
    }
    if (seg < n) out += head.slice(seg, n);
    this.resStatus = status;
    this.resEncode = false;
    up.reusable = !close;
    this.core.attemptAnswered(up.ep, status);
    if (this.method === 'HEAD' || status === 204 || status === 304) {
      this.resMode = M_NONE;
    } else if (chunked) {
      this.resMode = M_CHUNKED;
      if (this.resChunks === null) this.resChunks = new ChunkedScanner();
      else this.resChunks.reset();
      if (this.http10) {
        // HTTP/1.0 requests go upstream as HTTP/1.0; a chunked answer is a protocol error.
        this.upstreamProtocolError(up, 'chunked answer to an HTTP/1.0 request');
        return -1;
      }
      out += 'Transfer-Encoding: chunked\r\n';
    } else if (cl >= 0) {
      this.resMode = cl === 0 ? M_NONE : M_LENGTH;
      this.resRemaining = cl;
    } else {
      this.resMode = M_CLOSE;
      up.reusable = false;
      if (this.http10) this.keepAlive = false;
      else {
        this.resEncode = true;
        out += 'Transfer-Encoding: chunked\r\n';
      }
    }
    if (!this.keepAlive || this.ended) out += 'Connection: close\r\n';
    this.resHead = `${out}\r\n`;
    return 0;
  }

  /** Writes head (if any) and chunk[start, stop) to the client in one write. */
  private writeClient(head: string | null, chunk: Buffer | null, start: number, stop: number): void {
    this.sent = true;
    this.active = this.core.sweeper.now;
    const len = stop - start;
    let ok: boolean;
    if (head === null) {
      ok = this.sock.write(
        start === 0 && chunk !== null && stop === chunk.length ? chunk : chunk!.subarray(start, stop),
      );
    } else if (len === 0) {
      ok = this.sock.write(head, 'latin1');
    } else if (len <= 16384) {
      const hl = head.length;
      const b = Buffer.allocUnsafe(hl + len);
      b.write(head, 0, hl, 'latin1');
      chunk!.copy(b, hl, start, stop);
      ok = this.sock.write(b);
    } else {
      this.sock.cork();
      this.sock.write(head, 'latin1');
      ok = this.sock.write(chunk!.subarray(start, stop));
      this.sock.uncork();
    }
    if (!ok && this.up !== null) this.up.sock.pause();
  }

  private forwardResponse(up: UpConn, chunk: Buffer, start: number, head: string | null = null): void {
    const len = chunk.length;
    switch (this.resMode) {
      case M_LENGTH: {
        const take = Math.min(this.resRemaining, len - start);
        this.resRemaining -= take;
        this.writeClient(head, chunk, start, start + take);
        if (this.resRemaining === 0) {
          if (start + take < len) up.reusable = false;
          this.finishResponse();
        }
        return;
      }
      case M_CHUNKED: {
        let idx: number;
        try {
          idx = this.resChunks!.scan(chunk, start);
        } catch (err) {
          this.upstreamProtocolError(up, (err as ChunkedError).message);
          return;
        }
        this.writeClient(head, chunk, start, idx < 0 ? len : idx);
        if (idx >= 0) {
          if (idx < len) up.reusable = false;
          this.finishResponse();
        }
        return;
      }
      case M_CLOSE: {
        if (head !== null) this.writeClient(head, null, 0, 0);
        if (start >= len) return;
        if (this.resEncode) {
          this.writeClient(`${(len - start).toString(16)}\r\n`, chunk, start, len);
          this.writeClient('\r\n', null, 0, 0);
        } else {
          this.writeClient(null, chunk, start, len);
        }
        return;
      }
    }
  }

  onUpstreamEnd(up: UpConn): void {
    if (!up.inHead && this.resMode === M_CLOSE) {
      if (this.resEncode) this.writeClient('0\r\n\r\n', null, 0, 0);
      up.reusable = false;
      this.finishResponse();
      return;
    }
    this.onUpstreamFailure(up, up.gotBytes ? R_PROTOCOL : R_RESET, 'upstream closed the connection early');
  }

  private upstreamProtocolError(up: UpConn, problem: string): void {
    this.onUpstreamFailure(up, R_PROTOCOL, problem);
  }

  /** The upstream failed: retry on another endpoint, answer 502/504, or cut the client. */
  onUpstreamFailure(up: UpConn, reason: number, detail: string): void {
    if (this.up !== up) return;
    const ep = up.ep;
    const core = this.core;
    this.heldHead = null;
    this.up = null;
    this.ep = null;
    up.owner = null;
    ep.busy.delete(up);
    up.sock.destroy();
    ep.inFlight--;
    core.attemptFailed(ep, reason);
    const latency = performance.now() - this.started;
    if (
      !this.sent &&
      !up.gotBytes &&
      (reason === R_CONNECT || reason === R_RESET) &&
      this.attempts < core.settings.retryAttempts &&
      (isIdempotent(this.method) ? !this.hasBody || this.bodyCopy !== null : !this.hasBody)
    ) {
      this.attempts++;
      core.released(ep);
      if (this.dispatch(ep)) {
        core.retried(ep);
        return;
      }
      // No other endpoint: answer for the failed one.
      this.ep = null;
    } else {
      core.released(ep);
    }
    if (this.sent) {
      // Response bytes went out already: the only honest signal left is cutting the connection.
      core.recordResponse(ep, 502, latency, true);
      this.sock.destroy();
      return;
    }
    const timeout = reason === R_TIMEOUT;
    const status = timeout ? 504 : 502;
    core.recordResponse(ep, status, latency, true);
    if (!this.reqDone) this.keepAlive = false;
    const what =
      reason === R_CONNECT
        ? `could not connect to endpoint ${ep.id} (${detail})`
        : reason === R_TIMEOUT
          ? `endpoint ${ep.id} did not answer in time`
          : reason === R_RESET
            ? `endpoint ${ep.id} closed the connection before answering (${detail})`
            : `endpoint ${ep.id} sent an invalid response (${detail})`;
    const note =
      (reason === R_CONNECT || reason === R_RESET) && !isIdempotent(this.method) && this.hasBody
        ? '; not retried: the request is not idempotent'
        : '';
    this.answer(status, `skyfleet router: ${what}${note}`);
    this.nextRequest();
  }

  /** A router-made answer to the current request (the connection stays open when it can). */
  private answer(status: number, message: string): void {
    this.sent = true;
    this.sock.write(simpleResponse(status, message, !this.keepAlive || this.ended), 'latin1');
  }

  private finishResponse(): void {
    const up = this.up!;
    const ep = this.ep!;
    const core = this.core;
    this.up = null;
    this.ep = null;
    up.owner = null;
    ep.busy.delete(up);
    ep.inFlight--;
    const status = this.resStatus;
    core.recordResponse(ep, status, performance.now() - this.started, status >= 500);
    if (!this.reqDone) {
      // Answered before the request body was all read: the connection cannot carry on.
      this.keepAlive = false;
      up.reusable = false;
    }
    up.release(up.reusable);
    core.released(ep);
    if (!up.reusable && status < 500) refill(core, ep);
    this.nextRequest();
  }

  /** After a response: the next request on this connection, or close. */
  private nextRequest(): void {
    if (this.state === ST_CLOSED) return;
    if (!this.keepAlive || this.ended) {
      this.state = ST_CLOSED;
      this.sock.end();
      return;
    }
    this.state = ST_HEAD;
    this.active = this.core.sweeper.now;
    if (this.sock.isPaused()) this.sock.resume();
    if (this.buf !== null) this.processHead();
  }

  private startTunnel(up: UpConn, buf: Buffer): void {
    const ep = up.ep;
    const core = this.core;
    ep.busy.delete(up);
    this.up = null;
    up.owner = null;
    up.inHead = false;
    core.attemptAnswered(ep, 101);
    core.recordResponse(ep, 101, performance.now() - this.started, false);
    this.state = ST_TUNNEL;
    // Pass the 101 head verbatim (it carries Upgrade/Connection and the handshake headers).
    this.sock.write(buf);
    const c = this.sock;
    const u = up.sock;
    c.removeListener('data', cOnData);
    c.removeListener('end', cOnEnd);
    c.removeListener('drain', cOnDrain);
    u.removeListener('data', upOnData);
    u.removeListener('end', upOnEnd);
    u.removeListener('close', upOnClose);
    u.removeListener('drain', upOnDrain);
    core.sweeper.delete(this);
    core.sweeper.delete(up);
    if (this.buf !== null) {
      u.write(this.buf);
      this.buf = null;
    }
    c.pipe(u);
    u.pipe(c);
    u.on('close', () => c.destroy());
    // No half-open tunnels: a side that ends ends the whole tunnel (pipe passes the FIN on).
    c.on('end', () => c.end());
    // cOnClose destroys nothing of the tunnel; do it here.
    c.on('close', () => u.destroy());
    // A tunnel stays in flight (drain waits for it, up to the drain timeout).
    this.tunnel = { abort: () => c.destroy() };
    ep.busy.add(this.tunnel);
    if (c.isPaused()) c.resume();
  }
}

/** Removes header lines whose (lower-case) names are listed, from a head string. */
function dropHeaders(head: string, names: string[]): string {
  const lines = head.split('\r\n');
  return lines
    .filter((line, i) => {
      if (i === 0) return true;
      const colon = line.indexOf(':');
      return colon < 0 || !names.includes(line.slice(0, colon).toLowerCase());
    })
    .join('\r\n');
}
