/**
 * Reading ECS through its eventual consistency. "The Amazon ECS API follows an eventual consistency
 * model ... the result of an API command you run that affects your Amazon ECS resources might not
 * be immediately visible to all subsequent commands you run"
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html, also in the RunTask
 * documentation of emulators/reference/aws-ecs/ecs-2014-11-13.service-2.full.json). Right after a
 * write, ListServices may leave a new service out, DescribeServices may answer it MISSING or show
 * it as it was before an UpdateService or DeleteService, and its tags may show later than the
 * service itself. Taken at face value, each of those makes the provider write again: a second
 * CreateService, a repeated UpdateService, or a forced new deployment for "drift" that is only tags
 * not visible yet.
 *
 * `WrittenServices` remembers each service this provider instance wrote, as the write's own answer
 * (CreateService, UpdateService and DeleteService return the service as it is after the write) and
 * the tags it sent, and reads services through it: until a read shows the write (or `windowMs`
 * passes) the answer stands in for the read. A read shows the write when it is as new (its primary
 * deployment and desired count, see `showsWrite`); tags when they carry the spec hash written.
 */
import type { Service, Tag } from '@aws-sdk/client-ecs';
import type { Clock } from '../../src/util/clock.js';
import { LABELS } from '../../src/provider/labels.js';
import { ECS_TAGS, tagMap } from './names.js';

/** A service as read, or as this instance last wrote it while reads do not show that yet. */
export type ReadService = Service & {
  /** The read did not show the service yet: this is the answer of the write that made it. */
  fromWrite?: boolean;
  /**
   * The service carries no skyfleet tag but its name is skyfleet's and it was created within the
   * window: its tags have not shown yet (another instance made it, or this one forgot it).
   */
  tagsPending?: boolean;
};

interface Written {
  at: number;
  service?: Service;
  tags?: Tag[];
}

/** How long after a write a read that does not show it is taken as stale. Default 5 min, AWS's backoff bound. */
export const DEFAULT_CONSISTENCY_WINDOW_MS = 5 * 60_000;

export class WrittenServices {
  private readonly written = new Map<string, Written>();

  constructor(
    private readonly clock: Clock,
    readonly windowMs: number = DEFAULT_CONSISTENCY_WINDOW_MS,
  ) {}

  /** A write's answer (the service after it) and, when the write set them, the service's tags. */
  record(name: string, service: Service | undefined, tags?: Tag[]): void {
    if (this.windowMs <= 0) return;
    const prev = this.live(name);
    this.written.set(name, {
      at: this.clock.now(),
      ...(service ? { service } : prev?.service ? { service: prev.service } : {}),
      ...(tags ? { tags } : prev?.tags ? { tags: prev.tags } : {}),
    });
  }

  forget(name: string): void {
    this.written.delete(name);
  }

  /** Services written ACTIVE within the window whose names start with `prefix` (a list may not show them yet). */
  names(prefix: string): string[] {
    return [...this.written.keys()].filter((n) => n.startsWith(prefix) && this.live(n)?.service?.status === 'ACTIVE');
  }

  /**
   * `read` (the services DescribeServices returned for `names`) with this instance's recent writes
   * standing in for what the reads do not show yet, in the order of `names`.
   */
  merge(names: readonly string[], read: readonly Service[]): ReadService[] {
    const byName = new Map(read.map((s) => [s.serviceName!, s]));
    const out: ReadService[] = [];
    for (const name of names) {
      const s = this.mergeOne(name, byName.get(name));
      if (s) out.push(s);
    }
    return out;
  }

  mergeOne(name: string, read: Service | undefined): ReadService | undefined {
    const w = this.live(name);
    if (!w) return read ? this.pendingTags(read) : undefined;
    const caughtUp = !w.service || (read !== undefined && showsWrite(read, w.service));
    const tagsShown = !w.tags || (read !== undefined && showsTags(read, w.tags));
    if (caughtUp && tagsShown) {
      this.written.delete(name);
      return read ? this.pendingTags(read) : undefined;
    }
    const base: ReadService = caughtUp ? read! : { ...w.service!, ...(read ? {} : { fromWrite: true }) };
    const tags = tagsShown ? read?.tags : w.tags;
    return { ...base, ...(tags ? { tags } : {}) };
  }

  private live(name: string): Written | undefined {
    const w = this.written.get(name);
    if (w && this.clock.now() - w.at > this.windowMs) {
      this.written.delete(name);
      return undefined;
    }
    return w;
  }

  /** A service without skyfleet's tags created within the window: its tags have not shown yet. */
  private pendingTags(s: Service): ReadService {
    if (tagMap(s.tags)[LABELS.managedBy] !== undefined || !s.createdAt) return s;
    const age = this.clock.now() - new Date(s.createdAt).getTime();
    return age <= this.windowMs ? { ...s, tagsPending: true } : s;
  }
}

/**
 * The read is at least as new as the write: it has the write's primary deployment with the
 * written desired count (or changed since), or a newer deployment; a written delete, any status
 * but ACTIVE.
 */
function showsWrite(read: Service, written: Service): boolean {
  if (written.status !== 'ACTIVE') return read.status !== 'ACTIVE';
  if (read.status !== 'ACTIVE') return false;
  const primary = (s: Service) => s.deployments?.find((d) => d.status === 'PRIMARY');
  const ms = (d: Date | undefined) => (d ? new Date(d).getTime() : 0);
  const wp = primary(written);
  const rp = primary(read);
  if (!wp || !rp) return read.desiredCount === written.desiredCount;
  if (rp.id !== wp.id)
    return (read.deployments ?? []).some((d) => d.id === wp.id) || ms(rp.createdAt) > ms(wp.createdAt);
  return read.desiredCount === written.desiredCount || ms(rp.updatedAt) > ms(wp.updatedAt);
}

/** The read's tags carry the spec hash (and owner) written. */
function showsTags(read: Service, tags: Tag[]): boolean {
  const want = tagMap(tags);
  const got = tagMap(read.tags);
  return got[ECS_TAGS.specHash] === want[ECS_TAGS.specHash] && got[LABELS.managedBy] === want[LABELS.managedBy];
}
