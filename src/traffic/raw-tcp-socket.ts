// A plain TCP connection to an upstream on libuv's TCP handle directly, without net.Socket and
// its streams: the router's upstream side, where one connection is opened per request to a
// replica that closes after each answer (HTTP/1.0 style, such as busybox httpd). A net.Socket
// costs about twice the CPU of the bare handle for such a connect / write / read / close cycle
// (bench/router), and that cycle is most of the router's work per request. Only what the
// router's upstream side uses is here: connect by IP, write (buffered until connected, corked
// writes sent as one), backpressure (a false write, then `onDrain`), pause and resume of reads,
// end of stream, errors (with their system error code), destroy, and one `onClose` at the end.
//
// The handle is Node's internal TCP binding (`process.binding('tcp_wrap')`, as Node's own `net`
// uses it). `rawTcpAvailable()` checks it once; where it is missing or behaves otherwise the
// router uses net.Socket (`RouterSettings.upstreamTransport`).
import net from 'node:net';
import { getSystemErrorName } from 'node:util';

interface TcpHandle {
  connect(req: object, address: string, port: number): number;
  connect6(req: object, address: string, port: number): number;
  setNoDelay(on: boolean): number;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buf: Uint8Array): void;
  writeLatin1String(req: object, s: string): number;
  writeBuffer(req: object, b: Uint8Array): number;
  close(cb: () => void): void;
  onread: (this: TcpHandle, ab: ArrayBuffer | undefined) => void;
  [OWNER]?: RawTcpSocket;
}

interface Bindings {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => { oncomplete: (status: number, handle: TcpHandle) => void };
  WriteWrap: new () => { handle: TcpHandle; oncomplete: (status: number) => void; async: boolean; bytes: number };
  SOCKET: number;
  state: Int32Array;
  kReadBytesOrError: number;
  kBytesWritten: number;
  kLastWriteWasAsync: number;
}

const OWNER = Symbol('skyfleet.rawTcp');
const UV_EOF = -4095;
/** Bytes in flight (written, not yet taken by the kernel) above which `write` returns false. */
const HIGH_WATER = 16 * 1024;

let bindings: Bindings | null | undefined;

/** Node's TCP binding, or null where it cannot be had (checked once). */
function load(): Bindings | null {
  if (bindings !== undefined) return bindings;
  try {
    // biome-ignore lint/suspicious/noExplicitAny: Node's internal bindings are untyped
    const binding = (process as any).binding as (name: string) => any;
    const tcp = binding('tcp_wrap');
    const stream = binding('stream_wrap');
    const ok =
      typeof tcp.TCP === 'function' &&
      typeof tcp.TCPConnectWrap === 'function' &&
      typeof stream.WriteWrap === 'function' &&
      stream.streamBaseState instanceof Int32Array &&
      typeof stream.kReadBytesOrError === 'number' &&
      typeof tcp.constants?.SOCKET === 'number' &&
      typeof tcp.TCP.prototype.useUserBuffer === 'function';
    bindings = ok
      ? {
          TCP: tcp.TCP,
          TCPConnectWrap: tcp.TCPConnectWrap,
          WriteWrap: stream.WriteWrap,
          SOCKET: tcp.constants.SOCKET,
          state: stream.streamBaseState,
          kReadBytesOrError: stream.kReadBytesOrError,
          kBytesWritten: stream.kBytesWritten,
          kLastWriteWasAsync: stream.kLastWriteWasAsync,
        }
      : null;
  } catch {
    bindings = null;
  }
  return bindings;
}

/** Whether raw TCP connections can be made in this Node. */
export function rawTcpAvailable(): boolean {
  return load() !== null;
}

export interface RawTcpHandlers<T> {
  onConnect(this: T): void;
  /** `chunk` is only valid during the call (a shared buffer): copy what is kept. */
  onRead(this: T, n: number, chunk: Uint8Array): void;
  onEnd(this: T): void;
  onError(this: T, err: NodeJS.ErrnoException): void;
  onClose(this: T): void;
  onDrain(this: T): void;
}

/**
 * One connection. The handlers are called with `this` = the socket (shared functions, as the
 * router's upstream listeners are: nothing allocated per connection for them).
 */
export class RawTcpSocket {
  destroyed = false;
  private connected = false;
  private ended = false;
  private reading = false;
  private paused = false;
  private corked = 0;
  /** Written before the connection was up, or while corked: sent as one buffer. */
  private queue: Buffer[] | null = null;
  private pending = 0;
  private needDrain = false;
  private readonly handle: TcpHandle;

  /** Starts connecting to `host` (an IP address) and `port`. */
  constructor(
    host: string,
    port: number,
    private readonly handlers: RawTcpHandlers<RawTcpSocket>,
    private readonly readBuffer: Uint8Array,
  ) {
    const b = load()!;
    const h = new b.TCP(b.SOCKET);
    h[OWNER] = this;
    this.handle = h;
    const req = new b.TCPConnectWrap();
    req.oncomplete = onConnect;
    const err = net.isIPv6(host) ? h.connect6(req, host, port) : h.connect(req, host, port);
    if (err < 0) queueMicrotask(() => this.fail(err, 'connect', `${host}:${port}`));
  }

  /** Whether writes are still taken. */
  get writable(): boolean {
    return !this.destroyed && !this.ended;
  }

  write(data: string | Uint8Array, _encoding?: 'latin1'): boolean {
    if (this.destroyed) return false;
    const buf =
      typeof data === 'string'
        ? Buffer.from(data, 'latin1')
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (!this.connected || this.corked > 0) {
      if (this.queue === null) this.queue = [];
      this.queue.push(buf);
      this.pending += buf.length;
      return this.pending < HIGH_WATER;
    }
    return this.send(buf);
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked > 0 && --this.corked === 0 && this.connected) this.flush();
  }

  pause(): void {
    this.paused = true;
    if (this.reading) {
      this.handle.readStop();
      this.reading = false;
    }
  }

  resume(): void {
    this.paused = false;
    this.startReading();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.queue = null;
    this.handle.onread = ignoreRead; // (the binding takes only a function)
    if (this.reading) this.handle.readStop();
    this.reading = false;
    this.handle.close(() => this.handlers.onClose.call(this));
  }

  /** @internal the connect request finished */
  connectDone(status: number): void {
    if (this.destroyed) return;
    if (status < 0) {
      this.fail(status, 'connect');
      return;
    }
    this.connected = true;
    this.handle.setNoDelay(true);
    this.handle.useUserBuffer(this.readBuffer);
    this.handle.onread = onRead;
    this.handlers.onConnect.call(this);
    if (this.destroyed) return;
    if (this.corked === 0) this.flush();
    this.startReading();
  }

  /** @internal a read finished: bytes in the read buffer, end of stream, or an error */
  readDone(n: number): void {
    if (this.destroyed) return;
    if (n > 0) {
      this.handlers.onRead.call(this, n, this.readBuffer);
      return;
    }
    if (n === 0) return;
    if (n === UV_EOF) {
      this.ended = true;
      this.handlers.onEnd.call(this);
      this.destroy(); // no half-open connections (as net.Socket with allowHalfOpen false)
      return;
    }
    this.fail(n, 'read');
  }

  /** @internal a write the kernel did not take at once finished */
  writeDone(status: number, bytes: number): void {
    this.pending -= bytes;
    if (this.destroyed) return;
    if (status < 0) {
      this.fail(status, 'write');
      return;
    }
    if (this.needDrain && this.pending < HIGH_WATER) {
      this.needDrain = false;
      this.handlers.onDrain.call(this);
    }
  }

  private startReading(): void {
    if (this.connected && !this.reading && !this.paused && !this.destroyed) {
      this.reading = true;
      this.handle.readStart();
    }
  }

  private flush(): void {
    const q = this.queue;
    if (q === null) return;
    this.queue = null;
    let queued = 0;
    for (const b of q) queued += b.length;
    this.pending -= queued;
    if (!this.send(q.length === 1 ? q[0]! : Buffer.concat(q, queued)) || queued >= HIGH_WATER) this.needDrain = true;
  }

  private send(buf: Buffer): boolean {
    const b = load()!;
    const req = new b.WriteWrap();
    req.handle = this.handle;
    req.oncomplete = onWrite;
    req.async = false;
    const err = this.handle.writeBuffer(req, buf);
    if (err < 0) {
      this.fail(err, 'write');
      return false;
    }
    if (b.state[b.kLastWriteWasAsync]) {
      req.bytes = buf.length;
      this.pending += buf.length;
    }
    if (this.pending >= HIGH_WATER) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  private fail(status: number, syscall: string, where = ''): void {
    if (this.destroyed) return;
    const code = getSystemErrorName(status);
    const err = Object.assign(new Error(`${syscall} ${code}${where ? ` ${where}` : ''}`), {
      errno: status,
      code,
      syscall,
    }) as NodeJS.ErrnoException;
    this.handlers.onError.call(this, err);
    this.destroy();
  }
}

function ignoreRead(): void {}

function onConnect(this: unknown, status: number, handle: TcpHandle): void {
  handle[OWNER]?.connectDone(status);
}

function onRead(this: TcpHandle): void {
  const b = bindings!;
  this[OWNER]?.readDone(b.state[b.kReadBytesOrError]!);
}

function onWrite(this: { handle: TcpHandle; bytes: number }, status: number): void {
  this.handle[OWNER]?.writeDone(status, this.bytes ?? 0);
}
