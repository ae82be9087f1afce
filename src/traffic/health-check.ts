import http from 'node:http';
import https from 'node:https';
import type { RouterTimers } from './timers.js';

/** Active health check settings (HealthCheckOptions with their defaults). */
export interface HealthCheck {
  path: string;
  headers: Record<string, string>;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

/** An endpoint reached over TLS: its name (SNI, certificate, Host) and the CAs to trust. */
export interface HealthTls {
  serverName: string;
  ca: string | Buffer | Array<string | Buffer> | undefined;
}

/**
 * One active health check: GET `hc.path` from host:port on a fresh connection (over TLS as
 * `secure.serverName`, with that Host, when given). `done(ok)` is called once: true for a 2xx or
 * 3xx answer, false for another answer, an error (a certificate that does not verify included)
 * or no answer within `hc.timeoutMs`.
 */
export function checkHealth(
  host: string,
  port: number,
  hc: HealthCheck,
  timers: RouterTimers,
  done: (ok: boolean) => void,
  secure?: HealthTls,
  /** Headers only this check sends (an identity token: never logged). */
  extraHeaders?: Record<string, string>,
): void {
  let finished = false;
  let timer: unknown = null;
  const options = {
    host,
    port,
    path: hc.path,
    method: 'GET',
    headers: {
      'user-agent': 'skyfleet-router-health',
      ...hc.headers,
      ...extraHeaders,
      ...(secure ? { host: secure.serverName } : {}),
    },
    agent: false as const,
  };
  const req = secure
    ? https.request({
        ...options,
        servername: secure.serverName,
        ...(secure.ca !== undefined ? { ca: secure.ca } : {}),
      })
    : http.request(options);
  const finish = (ok: boolean) => {
    if (finished) return;
    finished = true;
    timers.clearTimeout(timer);
    req.destroy();
    done(ok);
  };
  req.on('response', (res) => {
    const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 400;
    res.resume();
    finish(ok);
  });
  req.on('error', () => finish(false));
  timer = timers.setTimeout(() => finish(false), hc.timeoutMs);
  req.end();
}
