import type { ObservedSlice } from '../provider/provider.js';

export interface DomainProgress {
  target: string;
  zone: string;
  /** Replicas of the current revision wanted here. */
  desired: number;
  /** Replicas of the current revision that exist / are ready here. */
  current: number;
  ready: number;
  /** Replicas of other revisions still here. */
  old: number;
}

export interface Progress {
  deployment: string;
  revision: string;
  replicas: number;
  ready: number;
  domains: DomainProgress[];
  /** What the reconciler does or waits for. */
  phase: string;
}

/** Ready x/N per target and zone, for live output and status. */
export function progressOf(
  deployment: string,
  revision: string,
  replicas: number,
  desired: ReadonlyArray<{ target: string; zone: string; replicas: number }>,
  observed: readonly ObservedSlice[],
  phase: string,
): Progress {
  const map = new Map<string, DomainProgress>();
  const get = (target: string, zone: string) => {
    const k = `${target}/${zone}`;
    let d = map.get(k);
    if (!d) {
      d = { target, zone, desired: 0, current: 0, ready: 0, old: 0 };
      map.set(k, d);
    }
    return d;
  };
  for (const d of desired) get(d.target, d.zone).desired = d.replicas;
  for (const s of observed) {
    const d = get(s.target, s.key.zone);
    if (s.key.revision === revision) {
      d.current += s.replicas;
      d.ready += s.ready;
    } else d.old += s.replicas;
  }
  const domains = [...map.values()]
    .filter((d) => d.desired || d.current || d.old)
    .sort((a, b) => `${a.target}/${a.zone}`.localeCompare(`${b.target}/${b.zone}`));
  return { deployment, revision, replicas, ready: domains.reduce((a, d) => a + d.ready, 0), domains, phase };
}
