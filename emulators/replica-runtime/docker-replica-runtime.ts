import { request as httpRequest } from 'node:http';
import type Docker from 'dockerode';
import type { ReplicaRuntime, ReplicaSpec, ReplicaStatus } from './replica-runtime.js';

/** Labels on every container a stand-in starts (`docker ps --filter label=skyfleet.dev/emulate`). */
export const EMULATE_LABEL = 'skyfleet.dev/emulate';
const REPLICA_LABEL = 'skyfleet.dev/emulate-replica';
const CLOUD_LABEL = 'skyfleet.dev/emulate-cloud';

export interface DockerReplicaRuntimeOptions {
  docker: Docker;
  /** This stand-in's id: its containers carry it, and `close()` removes them all. */
  instance: string;
  /** How often the containers' states are read (one `docker ps` for all). */
  pollMs?: number;
  /** Told of background failures (a container that could not be made). */
  onError?: (message: string) => void;
}

interface Entry {
  spec: ReplicaSpec;
  id?: string;
  status?: ReplicaStatus;
  stopped?: boolean;
}

/**
 * Emulated replicas as containers on the local Docker engine, each port published on a port of
 * 127.0.0.1 that Docker picks. The image must be on this machine (a stand-in has no registry): a
 * missing image is a replica that exits at once with the pull error a cloud reports. States are
 * read by one `docker ps` per `pollMs` (1 s), so `status` is never older than that.
 */
export class DockerReplicaRuntime implements ReplicaRuntime {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(private readonly options: DockerReplicaRuntimeOptions) {
    this.timer = setInterval(() => void this.poll(), options.pollMs ?? 1000);
    this.timer.unref();
  }

  start(spec: ReplicaSpec): void {
    const existing = this.entries.get(spec.key);
    if (existing && !existing.stopped) return;
    const entry: Entry = { spec, status: { phase: 'starting', ports: new Map() } };
    this.entries.set(spec.key, entry);
    void this.create(entry).catch((e: unknown) => {
      const message = (e as { json?: { message?: string } }).json?.message ?? (e as Error).message;
      const missing = (e as { statusCode?: number }).statusCode === 404;
      entry.status = {
        phase: 'exited',
        exitCode: 128,
        reason: missing
          ? `CannotPullContainerError: pull image manifest: ${spec.image}: not found (a stand-in pulls nothing: build or pull the image on this machine)`
          : `CannotStartContainerError: ${message}`,
        ports: new Map(),
      };
      this.options.onError?.(`replica ${spec.key} (${spec.image}): ${entry.status.reason}`);
    });
  }

  stop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry || entry.stopped) return;
    entry.stopped = true;
    if (entry.id) void this.remove(entry.id);
  }

  status(key: string): ReplicaStatus | undefined {
    return this.entries.get(key)?.status;
  }

  /** Stops polling and removes every container of this stand-in. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const all = await this.options.docker.listContainers({
      all: true,
      filters: { label: [`${EMULATE_LABEL}=${this.options.instance}`] },
    });
    await Promise.all(all.map((c) => this.remove(c.Id)));
  }

  private async create(entry: Entry): Promise<void> {
    const { spec } = entry;
    const { docker, instance } = this.options;
    const hc = spec.healthCheck;
    const container = await docker.createContainer({
      Image: spec.image,
      ...(spec.command ? { Cmd: spec.command } : {}),
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: { [EMULATE_LABEL]: instance, [REPLICA_LABEL]: spec.key, [CLOUD_LABEL]: spec.cloud },
      ExposedPorts: Object.fromEntries(spec.ports.map((p) => [`${p}/tcp`, {}])),
      ...(hc
        ? {
            Healthcheck: {
              Test: hc.test,
              Interval: hc.intervalSeconds * 1e9,
              Timeout: hc.timeoutSeconds * 1e9,
              Retries: hc.retries,
              StartPeriod: hc.startPeriodSeconds * 1e9,
            },
          }
        : {}),
      HostConfig: {
        PortBindings: Object.fromEntries(spec.ports.map((p) => [`${p}/tcp`, [{ HostIp: '127.0.0.1', HostPort: '' }]])),
      },
    });
    entry.id = container.id;
    if (entry.stopped) return this.remove(container.id);
    await container.start();
    await this.poll();
  }

  private async remove(id: string): Promise<void> {
    await this.options.docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  }

  /**
   * The status of a GET on a host port of 127.0.0.1 (through docker-proxy, which accepts before
   * the app listens), or undefined when nothing answers.
   */
  private async httpStatus(port: number | undefined, path: string): Promise<number | undefined> {
    if (port === undefined) return undefined;
    return new Promise<number | undefined>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
      req.end();
    });
  }

  /** Reads every container of this stand-in at once and updates the replicas' states. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const list = await this.options.docker.listContainers({
        all: true,
        filters: { label: [`${EMULATE_LABEL}=${this.options.instance}`] },
      });
      for (const c of list) {
        const entry = this.entries.get(c.Labels[REPLICA_LABEL] ?? '');
        if (!entry || entry.id !== c.Id) continue;
        const ports = new Map<number, number>();
        for (const p of c.Ports) if (p.PublicPort && p.IP === '127.0.0.1') ports.set(p.PrivatePort, p.PublicPort);
        const exited = c.State === 'exited' || c.State === 'dead';
        const exitCode = exited ? Number(/Exited \((-?\d+)\)/.exec(c.Status)?.[1] ?? 1) : undefined;
        const health = /\((healthy|unhealthy)\)/.exec(c.Status)?.[1];
        const up = c.State === 'running';
        const running =
          up && (!entry.spec.readyWhenHttp || (await this.httpStatus(ports.values().next().value, '/')) !== undefined);
        const probe = entry.spec.httpProbe;
        const probeStatus = probe && up ? await this.httpStatus(ports.get(probe.port), probe.path) : undefined;
        entry.status = {
          phase: running ? 'running' : exited ? 'exited' : 'starting',
          ...(health ? { healthy: health === 'healthy' } : {}),
          ...(probe && up
            ? { probePassing: probeStatus !== undefined && probeStatus >= 200 && probeStatus < 400 }
            : {}),
          ...(exitCode !== undefined
            ? { exitCode, reason: `Essential container in task exited (code ${exitCode})` }
            : {}),
          ports,
        };
      }
    } catch (e) {
      this.options.onError?.(`reading containers: ${(e as Error).message}`);
    } finally {
      this.polling = false;
    }
  }
}
