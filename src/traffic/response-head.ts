// Response heads: parsed and rewritten for the client in one pass over the head string, with
// hop-by-hop headers dropped and the body framing the client gets decided (RFC 9112 section 6).
import type net from 'node:net';
import type { BodyFraming } from './body-framing.js';
import { ChunkedScanner } from './http1.js';
import type { ProxyCore } from './proxy-core.js';
import type { UpstreamConn } from './upstream-conn.js';

/** What a response head is: the final one, an interim 1xx, a 101 to an upgrade, or invalid. */
export type ResponseHeadKind = 'final' | 'interim' | 'switching' | 'invalid';

/**
 * The fields of a client connection that parseResponseHead reads (the request's) and sets (the
 * response's), and where it reports an invalid head.
 */
export interface ResponseFields {
  readonly core: ProxyCore;
  readonly sock: net.Socket;
  readonly method: string;
  readonly http10: boolean;
  readonly upgrade: boolean;
  /** The client ended its side: the response closes the connection. */
  readonly ended: boolean;
  keepAlive: boolean;
  resStatus: number;
  resMode: BodyFraming;
  /** Body bytes still to forward, for a Content-Length body. */
  resRemaining: number;
  /** The scanner of a chunked body: one per connection, reset for each response. */
  resChunks: ChunkedScanner | null;
  /** A close-delimited body re-framed as chunked for the client. */
  resEncode: boolean;
  /** The head for the client. */
  resHead: string;
  upstreamProtocolError(up: UpstreamConn, problem: string): void;
}

/**
 * Parses a response head of `up` in buf[start, end) (`end`: where its final CRLFCRLF starts).
 * 'final': the response fields are set and `resHead` holds the head for the client; 'interim':
 * a 1xx, already forwarded; 'switching': a 101 to an upgrade request; 'invalid': reported to
 * `upstreamProtocolError`.
 */
export function parseResponseHead(
  res: ResponseFields,
  up: UpstreamConn,
  buf: Buffer,
  start: number,
  end: number,
): ResponseHeadKind {
  const head = buf.toString('latin1', start, end + 2);
  const n = head.length;
  const lineEnd = head.indexOf('\r\n');
  if (
    lineEnd < 12 ||
    !head.startsWith('HTTP/1.') ||
    head.charCodeAt(8) !== 32 ||
    (lineEnd > 12 && head.charCodeAt(12) !== 32)
  ) {
    res.upstreamProtocolError(up, 'malformed status line');
    return 'invalid';
  }
  const status = Number(head.slice(9, 12));
  if (!(status >= 100 && status <= 999)) {
    res.upstreamProtocolError(up, 'malformed status code');
    return 'invalid';
  }
  const upHttp10 = head.charCodeAt(7) === 48;
  if (status === 101) {
    if (!res.upgrade) {
      res.upstreamProtocolError(up, '101 to a request that did not ask to upgrade');
      return 'invalid';
    }
    res.resStatus = 101;
    return 'switching';
  }
  if (status < 200) {
    // Interim (100 Continue, 103 Early Hints): pass along unless the client is HTTP/1.0.
    if (!res.http10) res.sock.write(`HTTP/1.1${head.slice(8)}\r\n`, 'latin1');
    return 'interim';
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
      res.upstreamProtocolError(up, 'header line without a colon');
      return 'invalid';
    }
    let drop = false;
    switch (colon - pos) {
      case 14:
        if (head.slice(pos, colon).toLowerCase() === 'content-length') {
          const v = Number(head.slice(colon + 1, e).trim());
          if (!Number.isSafeInteger(v) || v < 0 || (cl >= 0 && cl !== v)) {
            res.upstreamProtocolError(up, 'bad Content-Length');
            return 'invalid';
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
  res.resStatus = status;
  res.resEncode = false;
  up.reusable = !close;
  res.core.attemptAnswered(up.ep, status);
  if (res.method === 'HEAD' || status === 204 || status === 304) {
    res.resMode = 'none';
  } else if (chunked) {
    res.resMode = 'chunked';
    if (res.resChunks === null) res.resChunks = new ChunkedScanner();
    else res.resChunks.reset();
    if (res.http10) {
      // HTTP/1.0 requests go upstream as HTTP/1.0; a chunked answer is a protocol error.
      res.upstreamProtocolError(up, 'chunked answer to an HTTP/1.0 request');
      return 'invalid';
    }
    out += 'Transfer-Encoding: chunked\r\n';
  } else if (cl >= 0) {
    res.resMode = cl === 0 ? 'none' : 'length';
    res.resRemaining = cl;
  } else {
    res.resMode = 'close';
    up.reusable = false;
    if (res.http10) res.keepAlive = false;
    else {
      res.resEncode = true;
      out += 'Transfer-Encoding: chunked\r\n';
    }
  }
  if (!res.keepAlive || res.ended) out += 'Connection: close\r\n';
  res.resHead = `${out}\r\n`;
  return 'final';
}
