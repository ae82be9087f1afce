import type { PodTemplate } from '../spec/deployment.js';
import type { Store } from '../store/store.js';

/** Templates of a deployment's revisions, from the store's history, cached for one run. */
export class RevisionTemplates {
  private readonly known = new Map<string, PodTemplate | undefined>();

  constructor(
    private readonly store: Store,
    private readonly deployment: string,
    current?: { revision: string; template: PodTemplate },
  ) {
    if (current) this.known.set(current.revision, current.template);
  }

  async get(revision: string): Promise<PodTemplate | undefined> {
    if (!this.known.has(revision))
      this.known.set(revision, (await this.store.getRevision(this.deployment, revision))?.template);
    return this.known.get(revision);
  }

  /** Revisions among `revisions` whose template is not on record. */
  async unknown(revisions: Iterable<string>): Promise<Set<string>> {
    const out = new Set<string>();
    for (const r of revisions) if (!(await this.get(r))) out.add(r);
    return out;
  }
}
