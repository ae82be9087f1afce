import type Docker from 'dockerode';
import type { ObservedReplica, ProviderChange } from '../../src/provider/provider.js';
import { mapPool } from '../../src/util/pool.js';
import { toObservedReplica } from './mapping.js';
import type { Clock } from '../../src/util/clock.js';
import { runStartupCheck, startKey, startupTargetOf } from './startup-check.js';
import { StartupProber, type StartupTarget } from './startup-probe.js';

/**
 * The Docker provider's side of the first readiness probes (startup-probe.ts): which containers
 * to probe (just started, or seen `starting`), whether a start passed, and telling watchers when
 * one does (Docker sends no event for it).
 */
export class StartupWatch {
  private readonly listeners = new Set<{ deployment?: string | undefined; onChange: (c: ProviderChange) => void }>();
  private readonly prober: StartupProber;

  constructor(
    private readonly client: () => Promise<Docker>,
    private readonly publishAddress: string,
    clock: Clock,
  ) {
    this.prober = new StartupProber({
      clock,
      probe: (t, timeoutMs, signal) => runStartupCheck(client, t, timeoutMs, signal),
      onReady: (t) => this.passedNow(t),
    });
  }

  private passedNow(t: StartupTarget): void {
    const change: ProviderChange = { reason: 'first readiness probe passed' };
    if (t.deployment) change.deployment = t.deployment;
    if (t.zone) change.zone = t.zone;
    for (const l of [...this.listeners])
      if (l.deployment === undefined || l.deployment === t.deployment) l.onChange(change);
  }

  /** Whether this start of the container passed its first probe. */
  passed(info: Docker.ContainerInspectInfo): boolean {
    return this.prober.passed(info.Id, startKey(info));
  }

  /**
   * Keeps the prober in step with what was read: a container still `starting` is probed (once
   * per start); one Docker has decided about, or that is not running, is forgotten.
   */
  follow(infos: Iterable<Docker.ContainerInspectInfo>): void {
    for (const info of infos) {
      const target = startupTargetOf(info, this.publishAddress);
      if (target) this.prober.track(target);
      else this.prober.forget(info.Id);
    }
  }

  /**
   * A verdict for every container still `starting` without one (another process started it, or
   * the probes have just begun): one probe each, now, past `initialDelaySeconds` only; a pass
   * makes its replica ready in `seen`. So two processes observing the same container agree.
   */
  async verdicts(seen: Array<{ info: Docker.ContainerInspectInfo; replica: ObservedReplica }>): Promise<void> {
    const open = seen.filter(
      (s) => s.info.State.Health?.Status === 'starting' && s.info.State.Running && !this.passed(s.info),
    );
    await mapPool(open, 8, async (s) => {
      const target = startupTargetOf(s.info, this.publishAddress);
      if (!target) return;
      const startedAt = Date.parse(s.info.State.StartedAt ?? '');
      if (Number.isFinite(startedAt) && Date.now() < startedAt + target.initialDelayMs) return;
      if (await this.prober.checkNow(target)) s.replica = toObservedReplica(s.info, this.publishAddress, true);
    });
  }

  /** After a start (ours, or a `start` event): inspect once and probe at once; errors leave it to Docker's check. */
  started(container: Docker.Container): void {
    container
      .inspect()
      .then((info) => this.follow([info]))
      .catch(() => undefined);
  }

  /** A `start` event: the container by id. */
  startedId(id: string): void {
    void this.client().then(
      (d) => this.started(d.getContainer(id)),
      () => undefined,
    );
  }

  forget(id: string): void {
    this.prober.forget(id);
  }

  /** Tells `onChange` of passes (of one deployment, or all); returns how to stop. */
  listen(deployment: string | undefined, onChange: (c: ProviderChange) => void): () => void {
    const l = { deployment, onChange };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  close(): void {
    this.listeners.clear();
    this.prober.close();
  }
}
