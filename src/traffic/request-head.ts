// Request heads: parsed and rewritten for the upstream in one pass over the head string, with
// hop-by-hop headers dropped and X-Forwarded-* set (RFC 9110 section 7.6.1, RFC 9112).
import type { BodyFraming } from './body-framing.js';
import { ChunkedScanner, hasBadValueChars, isToken } from './http1.js';

/** The fields of the current request that parseRequestHead sets (a client connection's own). */
export interface RequestFields {
  method: string;
  /** The head to send upstream. */
  head: string;
  http10: boolean;
  keepAlive: boolean;
  /** An upgrade request (WebSocket) the upstream may answer with 101. */
  upgrade: boolean;
  hasBody: boolean;
  /** The whole request body was forwarded (true at once for a request without a body). */
  reqDone: boolean;
  reqMode: BodyFraming;
  /** Body bytes still to forward, for a Content-Length body. */
  reqRemaining: number;
  /** The scanner of a chunked body: one per connection, reset for each request. */
  reqChunks: ChunkedScanner | null;
}

/**
 * Parses the request head in buf[0, end) (`end`: where its final CRLFCRLF starts) of a request
 * from `clientIp` into `req`: sets the request fields; returns a problem or null.
 */
export function parseRequestHead(req: RequestFields, buf: Buffer, end: number, clientIp: string): string | null {
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
  req.method = method;
  req.http10 = http10;
  req.keepAlive = keepAlive && !http10;
  req.upgrade = upgradeReq && !http10;
  req.hasBody = false;
  req.reqDone = true;
  req.reqMode = 'none';
  if (te !== null) {
    if (cl >= 0) return 'both Transfer-Encoding and Content-Length';
    if (http10) return 'Transfer-Encoding in HTTP/1.0';
    if (!/(^|,)\s*chunked\s*$/i.test(te)) return 'Transfer-Encoding without final chunked';
    out += `Transfer-Encoding: ${te}\r\n`;
    req.reqMode = 'chunked';
    if (req.reqChunks === null) req.reqChunks = new ChunkedScanner();
    else req.reqChunks.reset();
    req.reqDone = false;
    req.hasBody = true;
  } else if (cl > 0) {
    req.reqMode = 'length';
    req.reqRemaining = cl;
    req.reqDone = false;
    req.hasBody = true;
  }
  if (req.upgrade && req.hasBody) return 'upgrade request with a body';
  out += `X-Forwarded-For: ${xff === null ? clientIp : `${xff}, ${clientIp}`}\r\nX-Forwarded-Proto: http\r\n`;
  if (host !== null) out += `X-Forwarded-Host: ${host}\r\n`;
  if (req.upgrade) out += `Connection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n`;
  else if (http10) out += 'Connection: close\r\n\r\n';
  else out += '\r\n';
  req.head = out;
  return null;
}

/**
 * The head with its Host header set to `name` (added when an HTTP/1.0 request had none): what a
 * platform that routes on Host (Cloud Run) must see; the client's stays in X-Forwarded-Host.
 */
export function withHost(head: string, name: string): string {
  const m = /\r\nhost:[^\r]*/i.exec(head);
  if (m) return `${head.slice(0, m.index)}\r\nHost: ${name}${head.slice(m.index + m[0].length)}`;
  const eol = head.indexOf('\r\n');
  return `${head.slice(0, eol)}\r\nHost: ${name}${head.slice(eol)}`;
}

/**
 * The head with `X-Serverless-Authorization: Bearer <token>` (Cloud Run's invoker check reads it
 * before `Authorization`, which it leaves to the app), replacing any the client sent.
 */
export function withIdentity(head: string, token: string): string {
  const clean = dropHeaders(head, ['x-serverless-authorization']);
  const eol = clean.indexOf('\r\n');
  return `${clean.slice(0, eol)}\r\nX-Serverless-Authorization: Bearer ${token}${clean.slice(eol)}`;
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
