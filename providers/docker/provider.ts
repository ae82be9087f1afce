import { availableParallelism, totalmem } from 'node:os';
import type Docker from 'dockerode';
import { ProviderError } from '../../src/errors/provider-error.js';
import { ValidationError } from '../../src/errors/validation-error.js';
import { throwIfAborted } from '../../src/provider/kit/abort-error.js';
import { isOwned } from '../../src/provider/kit/ownership.js';
import { targetDescription } from '../../src/provider/kit/target-description.js';
import { LABELS } from '../../src/provider/labels.js';
import type {
  ApplyResult,
  CallOptions,
  DesiredSlice,
  ObservedSlice,
  ProviderChange,
  ReplicaUsage,
  SliceKey,
  SliceSelector,
  TargetDescription,
  WatchableProvider,
} from '../../src/provider/provider.js';
import type { ProviderContext } from '../../src/provider/provider.js';
import { systemClock } from '../../src/util/clock.js';
import { mapPool } from '../../src/util/pool.js';
import { dockerMessage, type ErrorContext, statusOf, toProviderError } from './errors.js';
import { followEvents } from './events.js';
import { ensureImage } from './images.js';
import {
  containerName,
  DOCKER_LABELS,
  type MappingContext,
  ordinalOf,
  selectorFilters,
  sliceFilters,
  singleContainer,
  toCreateOptions,
  toObservedReplica,
} from './mapping.js';
import { readContainers, type Seen, toObservedSlices } from './observe.js';
import { type DockerTargetSettings, dockerTargetSettings } from './settings.js';
import { StartupWatch } from './startup-watch.js';
import { readUsage } from './usage.js';

export { withDefaultTag } from './images.js';

const MiB = 1024 * 1024;

/** What a DockerProvider is made with: the fleet, and optionally a ready-made client (tests, SSH setups). */
export interface DockerProviderContext extends ProviderContext {
  /** A dockerode client (or a function giving one) to use instead of one built from the settings. */
  docker?: Docker | (() => Promise<Docker>);
}
/** Counts write calls made during one apply/remove. */
interface Writes {
  n: number;
}

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || address === 'localhost';
}

/**
 * Realises slices as Docker containers on one engine: one container per replica, named
 * `sf.<fleet>.<deployment>.<target>.<revision>.<ordinal>`, labelled with the slice's identity,
 * its port published on `publishAddress` at a port Docker picks, its readiness probe as a
 * HEALTHCHECK. See README.md in this folder.
 */
export class DockerProvider implements WatchableProvider {
  readonly kind = 'docker';
  readonly target: string;
  private readonly settings: DockerTargetSettings;
  /** The fleet this provider was made for (slices and selectors name their fleet themselves). */
  readonly fleet: string;
  private readonly zone: string;
  private clientPromise: Promise<Docker> | undefined;
  private readonly unsubscribers = new Set<() => void>();
  /** First readiness probes of just-started replicas (startup-watch.ts). */
  private readonly startups: StartupWatch;

  constructor(settings: DockerTargetSettings, ctx: DockerProviderContext) {
    this.settings = dockerTargetSettings.parse(settings);
    this.target = this.settings.name;
    this.zone = this.settings.zone ?? this.settings.name;
    this.fleet = ctx.fleet;
    const given = ctx.docker;
    if (given) this.clientPromise = typeof given === 'function' ? given() : Promise.resolve(given);
    // a failed client promise must not surface as an unhandled rejection before first use
    this.clientPromise?.catch(() => {});
    this.startups = new StartupWatch(() => this.client(), this.settings.publishAddress, ctx.clock ?? systemClock);
  }

  /** The dockerode client, created on first use (dockerode is imported only then). */
  client(): Promise<Docker> {
    if (!this.clientPromise) {
      this.clientPromise = import('dockerode').then(({ default: Dockerode }) => {
        const s = this.settings;
        if (s.host) {
          const opts: Docker.DockerOptions = { host: s.host };
          if (s.port !== undefined) opts.port = s.port;
          if (s.protocol) opts.protocol = s.protocol;
          return new Dockerode(opts);
        }
        return new Dockerode({ socketPath: s.socketPath ?? '/var/run/docker.sock' });
      });
    }
    return this.clientPromise;
  }

  describe(): TargetDescription {
    const s = this.settings;
    const local = !s.host;
    const cpus = s.maxCpu ?? (local ? availableParallelism() : 64);
    const memMiB = s.maxMemoryMiB ?? (local ? Math.floor(totalmem() / MiB) : 262_144);
    return targetDescription(
      {
        target: this.target,
        kind: this.kind,
        topology: { provider: 'docker', region: s.region, zones: [this.zone] },
        capabilities: {
          maxCpuMillis: Math.round(cpus * 1000),
          maxMemoryMiB: memMiB,
          maxPorts: 1024,
          maxContainers: 1,
          probes: ['httpGet', 'tcpSocket', 'exec'],
          nativeTrafficSplit: false,
          scaleToZero: true,
          nativeAutoscaling: false,
          publicEndpoints: !isLoopback(s.publishAddress),
          gpu: false,
        },
      },
      s,
    );
  }

  private mappingContext(): MappingContext {
    return { target: this.target, zone: this.zone, publishAddress: this.settings.publishAddress };
  }

  private ctx(operation: string, secrets?: readonly string[]): ErrorContext {
    return secrets ? { target: this.target, operation, secrets } : { target: this.target, operation };
  }

  private checkAbort(signal: AbortSignal | undefined, operation: string): void {
    throwIfAborted(signal, { provider: this.kind, target: this.target, operation });
  }

  /** Runs one Docker call, turning any failure into a classified ProviderError. */
  private async call<T>(operation: string, fn: () => Promise<T>, secrets?: readonly string[]): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toProviderError(err, this.ctx(operation, secrets));
    }
  }

  /** Lists containers by label filters, then inspects each (a container gone in between is skipped). */
  private async read(labels: string[], signal: AbortSignal | undefined): Promise<Seen[]> {
    const docker = await this.call('connect', () => this.client());
    this.checkAbort(signal, 'listContainers');
    const seen = await readContainers(docker, labels, {
      publishAddress: this.settings.publishAddress,
      target: this.target,
      signal,
      firstProbePassed: (info) => this.startups.passed(info),
    });
    await this.startups.verdicts(seen);
    this.startups.follow(seen.map((x) => x.info));
    return seen;
  }

  async observe(selector: SliceSelector, options: CallOptions = {}): Promise<ObservedSlice[]> {
    const extra: Record<string, string> = {};
    if (selector.deployment !== undefined) extra[LABELS.deployment] = selector.deployment;
    const seen = await this.read(selectorFilters(selector.fleet, this.target, extra), options.signal);
    return toObservedSlices(seen, selector.fleet, this.target, this.zone);
  }

  private validateSlice(slice: DesiredSlice): void {
    const issues = [];
    if (slice.key.zone !== this.zone) {
      issues.push({
        path: 'key.zone',
        message: `docker target "${this.target}" has one zone "${this.zone}", got "${slice.key.zone}"`,
      });
    }
    if (!Number.isInteger(slice.replicas) || slice.replicas < 0) {
      issues.push({
        path: 'replicas',
        message: `expected a whole number of replicas 0 or more, got ${slice.replicas}`,
      });
    }
    if (issues.length) throw new ValidationError(issues, `slice ${slice.key.deployment}/${slice.key.revision}`);
    singleContainer(slice);
  }

  validate(slice: DesiredSlice): void {
    this.validateSlice(slice);
    toCreateOptions(slice, 0, this.mappingContext());
  }

  async apply(slice: DesiredSlice, options: CallOptions = {}): Promise<ApplyResult> {
    const { signal } = options;
    this.validateSlice(slice);
    const mctx = this.mappingContext();
    // builds (and validates) the create options before any call: a bad slice changes nothing
    const build = (ordinal: number) => toCreateOptions(slice, ordinal, mctx);
    const desiredHash = build(0).Labels?.[DOCKER_LABELS.configHash];
    const secrets = Object.values(slice.secrets ?? {});
    const writes: Writes = { n: 0 };

    const seen = await this.read(sliceFilters(slice.key, this.target), signal);

    // one container per ordinal; strays (bad ordinal, wrong name, duplicates) are removed
    const byOrdinal = new Map<number, Seen>();
    const strays: Seen[] = [];
    const rank = (s: Seen) => (s.replica.ready ? 2 : s.info.State.Running ? 1 : 0);
    for (const s of seen) {
      const ord = ordinalOf(s.info.Config.Labels);
      if (ord === undefined || s.replica.name !== containerName(slice.key, this.target, ord)) {
        strays.push(s);
        continue;
      }
      const other = byOrdinal.get(ord);
      if (!other) byOrdinal.set(ord, s);
      else if (rank(s) > rank(other)) {
        strays.push(other);
        byOrdinal.set(ord, s);
      } else strays.push(s);
    }

    type Need = 'keep' | 'start' | 'replace';
    const replace = new Set(slice.replace ?? []);
    const needOf = (s: Seen): Need => {
      if (replace.has(s.info.Id)) return 'replace'; // unhealthy past its threshold: the reconciler says so
      const stale = s.replica.drifted || s.info.Config.Labels?.[DOCKER_LABELS.configHash] !== desiredHash;
      switch (s.info.State.Status) {
        case 'running':
        case 'restarting': // the restart policy is on it; replacing would only reset its backoff
        case 'paused':
          return stale ? 'replace' : 'keep';
        case 'created':
          return stale || s.info.State.Error ? 'replace' : 'start';
        default: // exited, dead, removing
          return 'replace';
      }
    };
    const members = [...byOrdinal.entries()].map(([ordinal, s]) => ({ ordinal, s, need: needOf(s) }));

    // scale down: replicas that need replacing first, then unready ones, then the highest ordinals
    const drained = new Set(slice.remove ?? []);
    const removeOrder = [...members].sort(
      (a, b) =>
        Number(drained.has(b.s.info.Id)) - Number(drained.has(a.s.info.Id)) ||
        Number(b.need === 'replace') - Number(a.need === 'replace') ||
        Number(a.s.replica.ready) - Number(b.s.replica.ready) ||
        b.ordinal - a.ordinal,
    );
    const excess = Math.max(0, members.length - slice.replicas);
    const dropped = new Set(removeOrder.slice(0, excess));
    const kept = members.filter((m) => !dropped.has(m));
    const toRemove = [...strays, ...[...dropped].map((m) => m.s)];

    const used = new Set(kept.map((m) => m.ordinal));
    const toCreate: number[] = [];
    for (let ord = 0; toCreate.length + kept.length < slice.replicas; ord++) if (!used.has(ord)) toCreate.push(ord);
    const toReplace = kept.filter((m) => m.need === 'replace');
    const toStart = kept.filter((m) => m.need === 'start');

    if (!toRemove.length && !toCreate.length && !toReplace.length && !toStart.length) {
      return { changed: false, writes: 0 };
    }

    const docker = await this.call('connect', () => this.client());
    // the image first: if it cannot be had, fail before touching anything
    if (toCreate.length || toReplace.length)
      if (await ensureImage(docker, singleContainer(slice).image, { target: this.target, signal })) writes.n++;

    const limit = this.settings.concurrency;
    await mapPool(toRemove, limit, (s) => this.removeContainer(docker, s.info.Id, writes, signal));
    const jobs: Array<() => Promise<void>> = [
      ...toStart.map((m) => () => this.startContainer(docker, m.s.info.Id, writes, signal)),
      ...toReplace.map((m) => async () => {
        await this.removeContainer(docker, m.s.info.Id, writes, signal);
        await this.createAndStart(docker, build(m.ordinal), desiredHash, writes, secrets, signal);
      }),
      ...toCreate.map((ord) => () => this.createAndStart(docker, build(ord), desiredHash, writes, secrets, signal)),
    ];
    await mapPool(jobs, limit, (job) => job());
    return { changed: writes.n > 0, writes: writes.n };
  }

  private async removeContainer(
    docker: Docker,
    id: string,
    writes: Writes,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    this.checkAbort(signal, 'removeContainer');
    try {
      writes.n++;
      await docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return; // already gone
      if (status === 409 && /in progress/i.test(String((err as Error).message))) return; // being removed
      throw toProviderError(err, this.ctx('removeContainer'));
    }
  }

  private async startContainer(
    docker: Docker,
    id: string,
    writes: Writes,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    this.checkAbort(signal, 'startContainer');
    writes.n++;
    const container = docker.getContainer(id);
    await this.call('startContainer', () => container.start());
    this.startups.started(container);
  }

  /**
   * Creates and starts one replica. A name already in use (a crash between create and start, or
   * a container made by an earlier provider) is reused when it is this slice's and up to date,
   * replaced when it is another skyfleet container of this fleet and target, and never touched
   * when skyfleet does not manage it. A container that cannot start is removed again.
   */
  private async createAndStart(
    docker: Docker,
    opts: Docker.ContainerCreateOptions,
    desiredHash: string | undefined,
    writes: Writes,
    secrets: readonly string[],
    signal: AbortSignal | undefined,
    attempt = 0,
  ): Promise<void> {
    this.checkAbort(signal, 'createContainer');
    let container: Docker.Container;
    try {
      writes.n++;
      container = await docker.createContainer(opts);
    } catch (err) {
      if (statusOf(err) === 409 && attempt > 0) {
        // the name was taken again after we removed its holder: something else is creating
        // containers with this name right now; a later pass sorts it out (not a terminal error)
        throw new ProviderError(
          `container name "${opts.name ?? ''}" was taken again while it was being replaced: ${dockerMessage(err)}`,
          {
            provider: 'docker',
            target: this.target,
            operation: 'createContainer',
            retryable: true,
            providerCode: 'Conflict',
            status: 409,
          },
        );
      }
      if (statusOf(err) !== 409) throw toProviderError(err, this.ctx('createContainer', secrets));
      const name = opts.name ?? '';
      let info: Docker.ContainerInspectInfo;
      try {
        info = await docker.getContainer(name).inspect();
      } catch (e) {
        if (statusOf(e) === 404)
          return this.createAndStart(docker, opts, desiredHash, writes, secrets, signal, attempt + 1);
        throw toProviderError(e, this.ctx('inspectContainer'));
      }
      const l = info.Config.Labels ?? {};
      const wanted = opts.Labels ?? {};
      const same = (k: string) => l[k] === wanted[k];
      if (!isOwned(l, { fleet: wanted[LABELS.fleet] ?? '', target: wanted[LABELS.target] ?? '' })) {
        throw new ProviderError(`container name "${name}" is in use by a container skyfleet does not manage here`, {
          provider: 'docker',
          target: this.target,
          operation: 'createContainer',
          retryable: false,
          providerCode: 'Conflict',
          status: 409,
        });
      }
      const replica = toObservedReplica(info, this.settings.publishAddress);
      const reusable =
        [LABELS.deployment, LABELS.revision, LABELS.domain, LABELS.ordinal].every(same) &&
        l[DOCKER_LABELS.configHash] === desiredHash &&
        !replica.drifted;
      if (reusable && (info.State.Status === 'running' || info.State.Status === 'restarting')) return;
      if (reusable && info.State.Status === 'created' && !info.State.Error) {
        return this.startOrRemove(docker.getContainer(info.Id), writes, signal);
      }
      await this.removeContainer(docker, info.Id, writes, signal);
      return this.createAndStart(docker, opts, desiredHash, writes, secrets, signal, attempt + 1);
    }
    await this.startOrRemove(container, writes, signal);
  }

  private async startOrRemove(
    container: Docker.Container,
    writes: Writes,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    try {
      this.checkAbort(signal, 'startContainer');
      writes.n++;
      await container.start();
      this.startups.started(container);
    } catch (err) {
      // leave nothing half-made behind: a created-but-unstartable container is removed
      try {
        writes.n++;
        await container.remove({ force: true, v: true });
      } catch {
        // the start error is the one worth reporting
      }
      throw toProviderError(err, this.ctx('startContainer'));
    }
  }

  async remove(key: SliceKey, options: CallOptions = {}): Promise<ApplyResult> {
    const docker = await this.call('connect', () => this.client());
    this.checkAbort(options.signal, 'listContainers');
    const list = await this.call('listContainers', () =>
      docker.listContainers({ all: true, filters: { label: sliceFilters(key, this.target) } }),
    );
    const writes: Writes = { n: 0 };
    await mapPool(list, this.settings.concurrency, (c) => this.removeContainer(docker, c.Id, writes, options.signal));
    return { changed: writes.n > 0, writes: writes.n };
  }

  /**
   * Follows Docker's event stream for this fleet's containers on this target (`die`, `start`,
   * `destroy`, `health_status: ...`), reconnecting when it ends; after a reconnect it reports
   * `{ reason: 'reconnect' }` since events may have been missed. Returns an unsubscribe function.
   */
  watch(selector: SliceSelector, onChange: (change: ProviderChange) => void): () => void {
    const extra: Record<string, string> = {};
    if (selector.deployment !== undefined) extra[LABELS.deployment] = selector.deployment;
    const stop = followEvents(() => this.client(), {
      labels: selectorFilters(selector.fleet, this.target, extra),
      onEvent: (ev) => {
        const attrs = ev.Actor?.Attributes ?? {};
        const change: ProviderChange = { reason: ev.Action ?? ev.status ?? 'event' };
        if (attrs[LABELS.deployment]) change.deployment = attrs[LABELS.deployment];
        if (attrs[LABELS.domain]) change.zone = attrs[LABELS.domain];
        // restarted by its restart policy, or started by another process: probe it at once
        if (ev.Action === 'start' && ev.id) this.startups.startedId(ev.id);
        if ((ev.Action === 'destroy' || ev.Action === 'die') && ev.id) this.startups.forget(ev.id);
        onChange(change);
      },
      onReconnect: () =>
        onChange(
          selector.deployment ? { reason: 'reconnect', deployment: selector.deployment } : { reason: 'reconnect' },
        ),
    });
    const unlisten = this.startups.listen(selector.deployment, onChange);
    let active = true;
    const unsubscribe = () => {
      if (!active) return;
      active = false;
      this.unsubscribers.delete(unsubscribe);
      unlisten();
      stop();
    };
    this.unsubscribers.add(unsubscribe);
    return unsubscribe;
  }

  /** Resource use of a deployment's running containers (Docker's stats API; usage.ts). */
  async usage(selector: { fleet: string; deployment: string }, options: CallOptions = {}): Promise<ReplicaUsage[]> {
    const docker = await this.call('connect', () => this.client());
    this.checkAbort(options.signal, 'containerStats');
    const labels = selectorFilters(selector.fleet, this.target, { [LABELS.deployment]: selector.deployment });
    return this.call('containerStats', () => readUsage(docker, labels, () => Date.now()));
  }

  async close(): Promise<void> {
    for (const u of [...this.unsubscribers]) u();
    this.startups.close();
  }
}
