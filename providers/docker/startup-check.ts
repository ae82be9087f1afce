/**
 * The first readiness probes of a started container (see startup-probe.ts): which check to run,
 * read back from the HEALTHCHECK skyfleet gave it (mapping.ts `toHealthcheck`), and running it.
 * An httpGet probe is an HTTP GET to the container's published port from here (what the router
 * and the health checks reach too); tcpSocket and exec probes run their HEALTHCHECK command in
 * the container through the engine (`exec`), as Docker itself would. A TCP connect to a published
 * port would prove nothing: docker-proxy accepts it before the container listens.
 */
import http from 'node:http';
import https from 'node:https';
import type Docker from 'dockerode';
import { LABELS } from '../../src/provider/labels.js';
import { endpointsOf } from './mapping.js';
import type { StartupCheck, StartupTarget } from './startup-probe.js';

const NS_PER_MS = 1_000_000;
/** Docker's own defaults when a HealthConfig field is 0. */
const DOCKER_DEFAULT_INTERVAL_MS = 30_000;
const DOCKER_DEFAULT_TIMEOUT_MS = 30_000;
const DOCKER_DEFAULT_RETRIES = 3;

/** The key of one start of one container. */
export function startKey(info: Docker.ContainerInspectInfo): string {
  return `${info.Id}@${info.State.StartedAt ?? ''}`;
}

/** The check a HEALTHCHECK test stands for (httpGet over the published port when it is published). */
function checkOf(test: string[], info: Docker.ContainerInspectInfo, publishAddress: string): StartupCheck | undefined {
  const [form, ...rest] = test;
  if (form === 'CMD-SHELL') return rest[0] ? { kind: 'exec', command: ['/bin/sh', '-c', rest[0]] } : undefined;
  if (form !== 'CMD' || rest.length === 0) return undefined; // NONE, or inherited from the image
  if (rest[0] === 'wget' && rest[1] === '-q' && rest[2] === '--spider') {
    const headers: Record<string, string> = {};
    let url: string | undefined;
    for (let i = 3; i < rest.length; i++) {
      const a = rest[i] ?? '';
      if (a === '--no-check-certificate') continue;
      if (a === '--header') {
        const h = rest[++i] ?? '';
        const c = h.indexOf(':');
        if (c > 0) headers[h.slice(0, c).trim()] = h.slice(c + 1).trim();
        continue;
      }
      url = a;
    }
    const m = url ? /^(https?):\/\/127\.0\.0\.1:(\d+)(\/.*)?$/.exec(url) : null;
    const published = m ? endpointsOf(info, publishAddress).find((e) => e.containerPort === Number(m[2])) : undefined;
    if (m && published) {
      return {
        kind: 'http',
        host: published.host === '0.0.0.0' ? '127.0.0.1' : published.host,
        port: published.port,
        path: m[3] ?? '/',
        https: m[1] === 'https',
        headers,
      };
    }
  }
  return { kind: 'exec', command: rest };
}

/**
 * What to probe for a container that has just started and whose health is still `starting`;
 * undefined when it has no health check, is not running, or Docker has already decided.
 */
export function startupTargetOf(info: Docker.ContainerInspectInfo, publishAddress: string): StartupTarget | undefined {
  if (!info.State.Running || info.State.Health?.Status !== 'starting') return undefined;
  const hc = info.Config.Healthcheck;
  const check = hc?.Test ? checkOf(hc.Test, info, publishAddress) : undefined;
  if (!hc || !check) return undefined;
  const labels = info.Config.Labels ?? {};
  return {
    key: startKey(info),
    containerId: info.Id,
    deployment: labels[LABELS.deployment],
    zone: labels[LABELS.domain],
    check,
    initialDelayMs: (hc.StartPeriod ?? 0) / NS_PER_MS,
    periodMs: hc.Interval ? hc.Interval / NS_PER_MS : DOCKER_DEFAULT_INTERVAL_MS,
    timeoutMs: hc.Timeout ? hc.Timeout / NS_PER_MS : DOCKER_DEFAULT_TIMEOUT_MS,
    failureThreshold: hc.Retries || DOCKER_DEFAULT_RETRIES,
  };
}

/** One HTTP GET: true for a 2xx or 3xx answer within the timeout (Kubernetes' httpGet rule). */
function httpCheck(
  c: Extract<StartupCheck, { kind: 'http' }>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    const mod = c.https ? https : http;
    const req = mod.request({
      host: c.host,
      port: c.port,
      path: c.path,
      method: 'GET',
      headers: { 'user-agent': 'skyfleet-startup-probe', ...c.headers },
      agent: false,
      timeout: timeoutMs,
      signal,
      ...(c.https ? { rejectUnauthorized: false } : {}), // as the HEALTHCHECK's wget --no-check-certificate
    });
    req.on('response', (res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      resolve(code >= 200 && code < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Runs a command in the container through the engine: true when it exits 0 within the timeout. */
async function execCheck(
  docker: Docker,
  containerId: string,
  command: string[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const finished = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal.addEventListener('abort', () => resolve(false), { once: true });
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', () => resolve(false));
    stream.resume();
  });
  if (!finished) {
    stream.destroy();
    return false;
  }
  const { ExitCode } = await exec.inspect();
  return ExitCode === 0;
}

/** Runs a startup target's check once. */
export function runStartupCheck(
  docker: () => Promise<Docker>,
  target: StartupTarget,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const c = target.check;
  if (c.kind === 'http') return httpCheck(c, timeoutMs, signal);
  return docker().then((d) => execCheck(d, target.containerId, c.command, timeoutMs, signal));
}
