import http from 'node:http';
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

/**
 * One active health check: GET `hc.path` from host:port on a fresh connection. `done(ok)` is
 * called once: true for a 2xx or 3xx answer, false for another answer, an error or no answer
 * within `hc.timeoutMs`.
 */
export function checkHealth(
  host: string,
  port: number,
  hc: HealthCheck,
  timers: RouterTimers,
  done: (ok: boolean) => void,
): void {
  let finished = false;
  let timer: unknown = null;
  const req = http.request({
    host,
    port,
    path: hc.path,
    method: 'GET',
    headers: { 'user-agent': 'skyfleet-router-health', ...hc.headers },
    agent: false,
  });
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
