import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { ProbeDoc } from '../skyfleet-types.js';

const TIMINGS = ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold', 'successThreshold'];

/** A Kubernetes probe (httpGet, tcpSocket or exec, and its timings) as a skyfleet probe. */
export function convertProbe(scope: Scope, raw: unknown): ProbeDoc | undefined {
  if (!isPlain(raw)) {
    scope.warn(`expected a probe object, got ${show(raw)}: no probe`);
    return undefined;
  }
  const out: Plain = {};
  let action = false;
  if (isPlain(raw.httpGet)) {
    const h = raw.httpGet;
    const s = scope.at('httpGet');
    const http: Plain = { port: h.port };
    if (typeof h.path === 'string') http.path = h.path.startsWith('/') ? h.path : `/${h.path}`;
    if (h.scheme === 'HTTP' || h.scheme === 'HTTPS') http.scheme = h.scheme;
    else if (h.scheme !== undefined) s.warn(`scheme ${show(h.scheme)} is not HTTP or HTTPS: HTTP is used`, 'scheme');
    if (Array.isArray(h.httpHeaders)) http.httpHeaders = h.httpHeaders;
    warnUnhandled(
      s,
      h,
      ['port', 'path', 'scheme', 'httpHeaders'],
      { host: 'skyfleet probes the replica itself: the probe goes to its address, not this host' },
      'not a field of a skyfleet httpGet probe',
    );
    out.httpGet = http;
    action = true;
  } else if (isPlain(raw.tcpSocket)) {
    out.tcpSocket = { port: raw.tcpSocket.port };
    warnUnhandled(
      scope.at('tcpSocket'),
      raw.tcpSocket,
      ['port'],
      { host: 'skyfleet probes the replica itself: the probe goes to its address, not this host' },
      'not a field of a skyfleet tcpSocket probe',
    );
    action = true;
  } else if (isPlain(raw.exec)) {
    out.exec = { command: raw.exec.command };
    warnUnhandled(scope.at('exec'), raw.exec, ['command'], {}, 'not a field of a skyfleet exec probe');
    action = true;
  }
  const handled = [...TIMINGS, 'httpGet', 'tcpSocket', 'exec', 'grpc'];
  if (raw.grpc !== undefined)
    scope.warn(
      'skyfleet probes with httpGet, tcpSocket or exec, not gRPC: this probe is left out; use an exec probe running grpc_health_probe, or an HTTP health endpoint',
      'grpc',
    );
  warnUnhandled(
    scope,
    raw,
    handled,
    {
      terminationGracePeriodSeconds:
        "skyfleet stops a replica with its provider's own grace period: a per-probe grace period is not supported",
    },
    'not a field of a skyfleet probe',
  );
  if (!action) return undefined;
  for (const t of TIMINGS) if (raw[t] !== undefined) out[t] = raw[t];
  const period = typeof raw.periodSeconds === 'number' ? raw.periodSeconds : 10;
  const timeout = typeof raw.timeoutSeconds === 'number' ? raw.timeoutSeconds : 1;
  if (timeout > period) {
    scope.warn(
      `timeoutSeconds ${timeout} is greater than periodSeconds ${period}; skyfleet does not let probes overlap, so timeoutSeconds is ${period}`,
      'timeoutSeconds',
    );
    out.timeoutSeconds = period;
  }
  return out as ProbeDoc;
}
