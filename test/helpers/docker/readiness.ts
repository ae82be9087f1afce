import http from 'node:http';
import type Docker from 'dockerode';

/** GET http://127.0.0.1:port/path within 1 s: true for 2xx or 3xx (Kubernetes' httpGet rule). */
function answers(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Ready as the replica's readiness probe sees it now: Docker says healthy, or Docker's first
 * check has not run yet (`health: starting`; skyfleet probes a started replica at once) and the
 * probe's URL, read from the container's HEALTHCHECK (`wget ... http://127.0.0.1:PORT/PATH`),
 * answers on the published port. Independent of skyfleet's own prober.
 */
export async function isReadyNow(docker: Docker, c: Docker.ContainerInfo): Promise<boolean> {
  if (c.State !== 'running') return false;
  if (c.Status.includes('(healthy)')) return true;
  if (!c.Status.includes('(health: starting)')) return false;
  let info: Docker.ContainerInspectInfo;
  try {
    info = await docker.getContainer(c.Id).inspect();
  } catch {
    return false;
  }
  const url = (info.Config.Healthcheck?.Test ?? []).find((a) => a.startsWith('http://127.0.0.1:'));
  const m = url ? /^http:\/\/127\.0\.0\.1:(\d+)(\/.*)?$/.exec(url) : null;
  if (!m) return false;
  const published = c.Ports.find((p) => p.PrivatePort === Number(m[1]) && p.PublicPort);
  return published ? answers(published.PublicPort, m[2] ?? '/') : false;
}

/** The containers of a listing that are ready now (see isReadyNow). */
export async function readyOf(docker: Docker, list: Docker.ContainerInfo[]): Promise<Docker.ContainerInfo[]> {
  const flags = await Promise.all(list.map((c) => isReadyNow(docker, c)));
  return list.filter((_, i) => flags[i]);
}
