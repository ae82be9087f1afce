import type { PlacementPolicy, PodTemplate } from '../spec/deployment.js';
import type { RevisionRecord, Store } from '../store/store.js';

/** Templates (and own placements) of a deployment's revisions, from the store's history, cached for one run. */
export class RevisionTemplates {
  private readonly known = new Map<string, Pick<RevisionRecord, 'template' | 'placement'> | undefined>();

  constructor(
    private readonly store: Store,
    private readonly deployment: string,
    current?: { revision: string; template: PodTemplate },
  ) {
    if (current) this.known.set(current.revision, { template: current.template });
  }

  async get(revision: string): Promise<PodTemplate | undefined> {
    return (await this.record(revision))?.template;
  }

  /**
   * The placement policy of the latest spec applied with `revision`, if on record (not asked of
   * the current revision: its placement is the spec's).
   */
  async placement(revision: string): Promise<PlacementPolicy | undefined> {
    return (await this.record(revision))?.placement;
  }

  /** Revisions among `revisions` whose template is not on record. */
  async unknown(revisions: Iterable<string>): Promise<Set<string>> {
    const out = new Set<string>();
    for (const r of revisions) if (!(await this.get(r))) out.add(r);
    return out;
  }

  private async record(revision: string): Promise<Pick<RevisionRecord, 'template' | 'placement'> | undefined> {
    if (!this.known.has(revision)) this.known.set(revision, await this.store.getRevision(this.deployment, revision));
    return this.known.get(revision);
  }
}
