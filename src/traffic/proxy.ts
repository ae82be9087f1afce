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
//
// The parts, one concept a file:
//   client-conn.ts       ClientConn: a client connection and its exchanges (ClientState)
//   upstream-conn.ts     UpstreamConn: a pooled upstream connection, preconnect
//   raw-tcp-socket.ts    RawTcpSocket: a plain upstream connection on libuv's TCP handle
//   request-head.ts      parseRequestHead: a request head, rewritten for the upstream
//   response-head.ts     parseResponseHead: a response head, rewritten for the client
//   http1.ts             framing: head ends, chunked bodies, router-made answers
//   body-framing.ts      BodyFraming: how a body is delimited
//   attempt-failure.ts   AttemptFailure: why an attempt failed
//   timeout-sweeper.ts   TimeoutSweeper: idle timeouts of every connection on one timer
//   proxy-core.ts        ProxyCore: what the proxy needs from the router
export { AttemptFailure } from './attempt-failure.js';
export { ClientConn } from './client-conn.js';
export type { ProxyCore, ProxySettings } from './proxy-core.js';
export { type Timed, TimeoutSweeper } from './timeout-sweeper.js';
