import { type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';

/**
 * Forwards a request a stand-in's data plane received to a replica's port on 127.0.0.1 and
 * streams the answer back with `headers` added; a replica that does not answer gets 503 (or a
 * reset once the answer has begun). `on` hears how it went.
 */
export function forwardTo(
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
  headers: Record<string, string> = {},
  on: { answer?: (status: number) => void; failure?: () => void } = {},
): void {
  const up = httpRequest(
    { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
    (upRes) => {
      on.answer?.(upRes.statusCode ?? 502);
      res.writeHead(upRes.statusCode ?? 502, { ...upRes.headers, ...headers });
      upRes.pipe(res);
    },
  );
  up.on('error', () => {
    on.failure?.();
    if (res.headersSent) return void res.destroy();
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Service Unavailable: the instance did not answer\n');
  });
  req.pipe(up);
}
