// One connection's state machine on the hot path; its socket listeners are in client-socket.ts.
// The client side of the proxy: one accepted connection, its requests one at a time (pipelined
// requests wait, in order), each routed on its own to an upstream connection, and the response
// forwarded back as it comes. Socket listeners are shared functions (no closures per request,
// client-socket.ts).
import type net from 'node:net';
import { AttemptFailure, describeFailure, mayResend } from './attempt-failure.js';
import type { BodyFraming } from './body-framing.js';
import type { Ep } from './endpoint.js';
import {
  type ChunkedError,
  type ChunkedScanner,
  concatBytes,
  headEnd,
  isIdempotent,
  normalizeBareLfHead,
  simpleResponse,
} from './http1.js';
import type { ProxyCore } from './proxy-core.js';
import { parseRequestHead, type RequestFields, withHost, withIdentity } from './request-head.js';
import { parseResponseHead, type ResponseFields } from './response-head.js';
import type { Holdable } from './activator.js';
import type { Timed } from './timeout-sweeper.js';
import { type ClientSocket, listenClient } from './client-socket.js';
import { openTunnel } from './tunnel.js';
import { acquireUpstream, preconnect, type UpstreamConn } from './upstream-conn.js';

/**
 * Where a client connection is: reading a request head; in an exchange (the request goes
 * upstream, the response comes back); a WebSocket (upgrade) tunnel; closed.
 */
export type ClientState = 'head' | 'exchange' | 'tunnel' | 'closed';

const MAX_HEAD = 64 * 1024;
const MAX_RETRY_BODY = 64 * 1024;
/** A response head is held for its body (one write for both) when the body is at most this. */
const HOLD_HEAD_MAX = 16 * 1024;

export class ClientConn implements Timed, RequestFields, ResponseFields, Holdable {
  readonly sock: ClientSocket;
  timeoutMs = 0;
  active = 0;
  state: ClientState = 'head';
  /** Unconsumed client bytes (a partial head, or the next pipelined request). */
  buf: Buffer | null = null;
  private readonly ip: string;
  ended = false;

  // the current request (RequestFields: set by parseRequestHead)
  method = '';
  head = '';
  http10 = false;
  keepAlive = true;
  upgrade = false;
  reqMode: BodyFraming = 'none';
  reqRemaining = 0;
  reqDone = true;
  hasBody = false;
  reqChunks: ChunkedScanner | null = null;
  private bodyCopy: Buffer[] | null = null;
  private bodyCopyBytes = 0;
  private attempts = 0;
  private started = 0;
  ep: Ep | null = null;
  up: UpstreamConn | null = null;

  // the current response (ResponseFields: set by parseResponseHead)
  resStatus = 0;
  resMode: BodyFraming = 'none';
  resRemaining = 0;
  resChunks: ChunkedScanner | null = null;
  resEncode = false;
  resHead = '';
  /** A response head waiting for its body, to go out with it in one write. */
  private heldHead: string | null = null;
  /** Bytes of the response were written to the client (no retry, no error page after this). */
  private sent = false;
  private tunnel: { abort(): void } | null = null;
  /** Held by the activator (no endpoint yet); `heldRest`: bytes after the head, read before it held. */
  private held = false;
  private heldRest: Buffer | null = null;

  constructor(
    readonly core: ProxyCore,
    socket: net.Socket,
  ) {
    this.sock = listenClient(socket, this);
    this.ip = socket.remoteAddress ?? '';
    core.sweeper.set(this, core.settings.clientIdleTimeoutMs);
  }

  /** Closes the connection now (router close). */
  destroy(): void {
    this.sock.destroy();
  }

  /** Closes the connection if idle, or after the current response. */
  closeWhenIdle(): void {
    this.keepAlive = false;
    if (this.state === 'head' && this.buf === null) this.sock.end();
  }

  onData(chunk: Buffer): void {
    if (this.state === 'head') {
      this.buf = concatBytes(this.buf, chunk);
      this.processHead();
    } else if (this.state === 'exchange') {
      if (!this.reqDone && this.up !== null) {
        this.forwardBody(chunk, 0);
      } else {
        // Pipelined request (or bytes before a 101): wait for the current response.
        this.buf = concatBytes(this.buf, chunk);
        this.sock.pause();
      }
    }
  }

  onEnd(): void {
    this.ended = true;
    if (this.state === 'head') this.sock.end();
    else if (this.held)
      this.sock.destroy(); // gave up while held: forget it (onClose drops it)
    else if (this.state === 'exchange' && !this.reqDone) {
      // The client stopped mid-body: the request cannot complete.
      this.sock.destroy();
    }
  }

  timedOut(): void {
    this.onTimeout();
  }

  onTimeout(): void {
    if (this.state === 'head') {
      if (this.buf !== null)
        this.sock.end(simpleResponse(408, 'skyfleet router: request head not received in time', true));
      else this.sock.destroy();
    }
  }

  onClose(): void {
    this.core.sweeper.delete(this);
    const prev = this.state;
    this.state = 'closed';
    const up = this.up;
    const ep = this.ep;
    if (up !== null && ep !== null) {
      this.cutUpstream(up, ep);
      this.core.released(ep);
    } else if (prev === 'tunnel' && ep !== null) {
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
      if (buf === null || this.state !== 'head') return;
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
      const problem = parseRequestHead(this, buf, end, this.ip);
      if (problem !== null) {
        this.reject(400, `skyfleet router: bad request: ${problem}`);
        return;
      }
      // Keep the body sent so far while a retry is possible (idempotent methods only).
      this.bodyCopy = this.hasBody && this.core.settings.retryAttempts > 0 && isIdempotent(this.method) ? [] : null;
      this.bodyCopyBytes = 0;
      this.started = performance.now();
      this.state = 'exchange';
      this.attempts = 0;
      this.sent = false;
      if (!this.dispatch(null)) {
        if (this.core.hold(this)) {
          // the socket keeps reading (a client that leaves is noticed); bytes that come are
          // buffered and pause it (onData), so the request waits whole
          this.held = true;
          this.heldRest = rest;
          return;
        }
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

  /** The bytes read after the held request's head, in order. */
  private takeHeld(): Buffer | null {
    const data =
      this.heldRest === null ? this.buf : this.buf === null ? this.heldRest : concatBytes(this.heldRest, this.buf);
    this.heldRest = null;
    this.buf = null;
    return data;
  }

  resumeHeld(): boolean {
    if (this.state !== 'exchange' || !this.held) return true; // closed meanwhile: nothing to send
    if (!this.dispatch(null)) return false;
    this.held = false;
    const data = this.takeHeld();
    if (this.reqDone) {
      if (data !== null) this.buf = data; // the next pipelined request, after this response
      return true;
    }
    if (data !== null) this.forwardBody(data, 0);
    if (this.buf === null && this.sock.isPaused()) this.sock.resume();
    return true;
  }

  expireHeld(retryAfterSeconds: number): void {
    if (this.state !== 'exchange' || !this.held) return;
    this.held = false;
    this.core.unrouted('no_endpoint');
    if (!this.reqDone) this.keepAlive = false;
    this.answer(
      503,
      'skyfleet router: no replica became ready in time (the deployment is scaled to zero and activating)',
      `Retry-After: ${retryAfterSeconds}\r\n`,
    );
    this.buf = this.takeHeld();
    this.nextRequest();
  }

  private reject(status: number, message: string): void {
    this.core.unrouted('bad_request');
    this.state = 'closed';
    this.sock.end(simpleResponse(status, message, true));
  }

  /** Picks an endpoint and sends the head (and any body kept for a retry); false when none. */
  private dispatch(exclude: Ep | null): boolean {
    const ep = this.core.pickEndpoint(exclude);
    if (ep === null) return false;
    this.send(ep, !this.upgrade && !this.http10);
    return true;
  }

  /** Sends the head (and any body kept for a retry) to `ep`, on a pooled connection when `reuse`. */
  private send(ep: Ep, reuse: boolean): void {
    const core = this.core;
    this.ep = ep;
    ep.inFlight++;
    const up = acquireUpstream(core, ep, this, reuse, this.upgrade);
    this.up = up;
    ep.busy.add(up);
    this.resStatus = 0;
    this.sent = false;
    this.heldHead = null;
    const copy = this.bodyCopy;
    let head = ep.serverName === null ? this.head : withHost(this.head, ep.serverName);
    if (ep.identityAudience !== null) {
      const token = core.settings.identityTokens?.(ep.identityAudience);
      if (token !== undefined) head = withIdentity(head, token);
    }
    if (copy !== null && copy.length > 0) {
      up.sock.cork();
      up.sock.write(head, 'latin1');
      for (const b of copy) up.sock.write(b);
      up.sock.uncork();
    } else {
      up.sock.write(head, 'latin1');
    }
  }

  /** Forwards request body bytes from chunk[start..] to the upstream; the rest is the next request. */
  private forwardBody(chunk: Buffer, start: number): void {
    let stop: number;
    if (this.reqMode === 'length') {
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
      this.buf = concatBytes(this.buf, chunk.subarray(stop));
      this.sock.pause();
    }
  }

  private failRequestBody(problem: string): void {
    this.core.unrouted('bad_request');
    const up = this.up;
    const ep = this.ep;
    if (up !== null && ep !== null) {
      this.cutUpstream(up, ep);
      this.core.released(ep);
    }
    if (!this.sent) this.sock.end(simpleResponse(400, `skyfleet router: bad request body: ${problem}`, true));
    else this.sock.destroy();
    this.state = 'closed';
  }

  /** Ends the exchange's hold on `up` (closed) and on its endpoint `ep`, before `released`. */
  private cutUpstream(up: UpstreamConn, ep: Ep): void {
    this.up = null;
    this.ep = null;
    up.owner = null;
    ep.busy.delete(up);
    up.sock.destroy();
    ep.inFlight--;
  }

  onUpstreamData(up: UpstreamConn, chunk: Buffer): void {
    if (!up.inHead) {
      const held = this.heldHead;
      this.heldHead = null;
      this.forwardResponse(up, chunk, 0, held);
      return;
    }
    let buf = concatBytes(up.buf, chunk);
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
      const kind = parseResponseHead(this, up, buf, start, end);
      if (kind === 'invalid') return; // failed, handled
      if (kind === 'interim') {
        start = end + 4;
        continue;
      }
      if (kind === 'switching') {
        this.startTunnel(up, buf);
        return;
      }
      up.inHead = false;
      up.buf = null;
      if (this.resMode === 'none') {
        this.writeClient(this.resHead, null, 0, 0);
        if (end + 4 < buf.length) up.reusable = false;
        this.finishResponse();
      } else if (this.resMode === 'length' && end + 4 === buf.length && this.resRemaining <= HOLD_HEAD_MAX) {
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

  private forwardResponse(up: UpstreamConn, chunk: Buffer, start: number, head: string | null = null): void {
    const len = chunk.length;
    switch (this.resMode) {
      case 'length': {
        const take = Math.min(this.resRemaining, len - start);
        this.resRemaining -= take;
        this.writeClient(head, chunk, start, start + take);
        if (this.resRemaining === 0) {
          if (start + take < len) up.reusable = false;
          this.finishResponse();
        }
        return;
      }
      case 'chunked': {
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
      case 'close': {
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

  onUpstreamEnd(up: UpstreamConn): void {
    if (!up.inHead && this.resMode === 'close') {
      if (this.resEncode) this.writeClient('0\r\n\r\n', null, 0, 0);
      up.reusable = false;
      this.finishResponse();
      return;
    }
    // a reset while none of the response reached the client (see mayResend); after that, a cut response
    const detail = up.gotBytes ? 'in the middle of its response' : 'early';
    const reason = this.sent ? AttemptFailure.Protocol : AttemptFailure.Reset;
    this.onUpstreamFailure(up, reason, `upstream closed the connection ${detail}`);
  }

  upstreamProtocolError(up: UpstreamConn, problem: string): void {
    this.onUpstreamFailure(up, AttemptFailure.Protocol, problem);
  }

  /** The upstream failed: retry on another endpoint, answer 502/504, or cut the client. */
  onUpstreamFailure(up: UpstreamConn, reason: AttemptFailure, detail: string): void {
    if (this.up !== up) return;
    const ep = up.ep;
    const core = this.core;
    this.heldHead = null;
    this.cutUpstream(up, ep);
    const unanswered = reason === AttemptFailure.Connect || reason === AttemptFailure.Reset;
    const resendable =
      !this.sent && mayResend(reason, isIdempotent(this.method), this.hasBody, this.bodyCopy !== null, up.gotBytes);
    if (resendable && up.pooled && !up.gotBytes && reason === AttemptFailure.Reset && !ep.removed) {
      // A kept-alive connection the endpoint closed while it was idle: not the endpoint's
      // failure and not an attempt; the request goes again on a new connection to it.
      core.released(ep);
      this.send(ep, false);
      return;
    }
    core.attemptFailed(ep, reason);
    const latency = performance.now() - this.started;
    if (resendable && this.attempts < core.settings.retryAttempts) {
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
    const status = reason === AttemptFailure.Timeout ? 504 : 502;
    core.recordResponse(ep, status, latency, true);
    if (!this.reqDone) this.keepAlive = false;
    const note =
      unanswered && !isIdempotent(this.method) && this.hasBody ? '; not retried: the request is not idempotent' : '';
    this.answer(status, `skyfleet router: ${describeFailure(reason, ep.id, detail)}${note}`);
    this.nextRequest();
  }

  /** A router-made answer to the current request (the connection stays open when it can). */
  private answer(status: number, message: string, extraHeaders?: string): void {
    this.sent = true;
    this.sock.write(simpleResponse(status, message, !this.keepAlive || this.ended, extraHeaders), 'latin1');
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
    if (!up.reusable && status < 500) preconnect(core, ep);
    this.nextRequest();
  }

  /** After a response: the next request on this connection, or close. */
  private nextRequest(): void {
    if (this.state === 'closed') return;
    if (!this.keepAlive || this.ended) {
      this.state = 'closed';
      this.sock.end();
      return;
    }
    this.state = 'head';
    this.active = this.core.sweeper.now;
    if (this.sock.isPaused()) this.sock.resume();
    if (this.buf !== null) this.processHead();
  }

  /** The upstream answered 101: the connection becomes a tunnel (tunnel.ts), in flight until it ends. */
  private startTunnel(up: UpstreamConn, head101: Buffer): void {
    const ep = up.ep;
    const core = this.core;
    ep.busy.delete(up);
    this.up = null;
    up.owner = null;
    up.inHead = false;
    core.attemptAnswered(ep, 101);
    core.recordResponse(ep, 101, performance.now() - this.started, false);
    this.state = 'tunnel';
    core.sweeper.delete(this);
    this.tunnel = openTunnel(this.sock, up, head101, this.buf);
    this.buf = null;
    ep.busy.add(this.tunnel); // drain waits for it, up to the drain timeout
  }
}
