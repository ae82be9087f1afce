// Minimal HTTP/1.1 framing for the proxy: find head ends, and find where a chunked body ends
// without decoding it (the bytes are forwarded as they are).

const CR = 13;
const LF = 10;

/** Index of the `\r\n\r\n` ending a message head in `buf` from `start`, or -1. */
export function headEnd(buf: Buffer, start: number): number {
  return buf.indexOf('\r\n\r\n', start, 'latin1');
}

/**
 * Some servers end head lines with a bare LF (busybox httpd's CGI responses: a CRLF status line,
 * then `\n`-terminated headers). RFC 9112 section 2.2 lets a recipient accept a lone LF as a line
 * terminator, as nginx does. When the head starting at `start` ends that way, returns a buffer
 * whose head is rewritten with CRLF (the rest unchanged); otherwise null.
 */
export function normalizeBareLfHead(buf: Buffer, start: number): Buffer | null {
  const lf = buf.indexOf('\n\n', start, 'latin1');
  const lfcr = buf.indexOf('\n\r\n', start, 'latin1');
  const ends = [lf < 0 ? -1 : lf + 2, lfcr < 0 ? -1 : lfcr + 3].filter((x) => x >= 0);
  if (!ends.length) return null;
  const end = Math.min(...ends);
  const head = buf.toString('latin1', start, end).replace(/\r?\n/g, '\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), buf.subarray(end)]);
}

const S_SIZE = 0;
const S_EXT = 1;
const S_SIZE_LF = 2;
const S_DATA = 3;
const S_DATA_CR = 4;
const S_DATA_LF = 5;
const S_TRAILER_START = 6;
const S_TRAILER = 7;
const S_FINAL_LF = 8;

export class ChunkedError extends Error {}

/**
 * Tracks the chunk boundaries of a `Transfer-Encoding: chunked` body as bytes go past, to know
 * where the message ends (the rest belongs to the next message). Does not copy anything.
 */
export class ChunkedScanner {
  private state = S_SIZE;
  private size = 0;
  private digits = 0;
  private remaining = 0;

  reset(): void {
    this.state = S_SIZE;
    this.size = 0;
    this.digits = 0;
    this.remaining = 0;
  }

  /**
   * Scans `buf` from `start`; returns the index just past the end of the message, or -1 when it
   * continues beyond `buf`. Throws ChunkedError on malformed framing.
   */
  scan(buf: Buffer, start: number): number {
    let i = start;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case S_DATA: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = S_DATA_CR;
          continue;
        }
        case S_SIZE: {
          const c = buf[i]!;
          let v = -1;
          if (c >= 48 && c <= 57) v = c - 48;
          else if (c >= 97 && c <= 102) v = c - 87;
          else if (c >= 65 && c <= 70) v = c - 55;
          if (v >= 0) {
            if (++this.digits > 12) throw new ChunkedError('chunk size too large');
            this.size = this.size * 16 + v;
          } else if (this.digits === 0) {
            throw new ChunkedError('bad chunk size');
          } else if (c === CR) {
            this.state = S_SIZE_LF;
          } else if (c === 59 || c === 32 || c === 9) {
            this.state = S_EXT; // ';' extension (or whitespace before it)
          } else {
            throw new ChunkedError('bad chunk size');
          }
          break;
        }
        case S_EXT:
          if (buf[i] === CR) this.state = S_SIZE_LF;
          else if (buf[i] === LF) throw new ChunkedError('bare LF in chunk extension');
          break;
        case S_SIZE_LF:
          if (buf[i] !== LF) throw new ChunkedError('expected LF after chunk size');
          if (this.size === 0) {
            this.state = S_TRAILER_START;
          } else {
            this.remaining = this.size;
            this.state = S_DATA;
          }
          this.size = 0;
          this.digits = 0;
          break;
        case S_DATA_CR:
          if (buf[i] !== CR) throw new ChunkedError('expected CRLF after chunk data');
          this.state = S_DATA_LF;
          break;
        case S_DATA_LF:
          if (buf[i] !== LF) throw new ChunkedError('expected CRLF after chunk data');
          this.state = S_SIZE;
          break;
        case S_TRAILER_START:
          this.state = buf[i] === CR ? S_FINAL_LF : S_TRAILER;
          break;
        case S_TRAILER:
          if (buf[i] === LF) this.state = S_TRAILER_START;
          break;
        case S_FINAL_LF:
          if (buf[i] !== LF) throw new ChunkedError('expected CRLF ending the chunked body');
          this.reset();
          return i + 1;
      }
      i++;
    }
    return -1;
  }
}

/** Methods a failed connect may be retried for (RFC 9110 idempotent methods, plus TRACE). */
export function isIdempotent(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'PUT':
    case 'DELETE':
    case 'TRACE':
      return true;
    default:
      return false;
  }
}

/** A valid header field name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

/** Header values must not carry CR, LF or NUL (the head was split on CRLF; a bare CR/LF/NUL is rejected). */
const BAD_VALUE = /[\r\n\0]/;
export function hasBadValueChars(s: string): boolean {
  return BAD_VALUE.test(s);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** A complete small plain-text response made by the router itself. */
export function simpleResponse(status: number, message: string, close: boolean, extraHeaders = ''): string {
  const body = `${message}\n`;
  return (
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'X-Skyfleet-Router: error\r\n' +
    extraHeaders +
    (close ? 'Connection: close\r\n' : '') +
    '\r\n' +
    body
  );
}

/** Bytes read so far (none yet: null) followed by a new chunk, copied only when both have bytes. */
export function concatBytes(a: Buffer | null, b: Buffer): Buffer {
  return a === null || a.length === 0 ? b : Buffer.concat([a, b]);
}
