import type { Domain } from './types.js';

/**
 * The laminar tree the allocator works on: provider > region > target > domain. Every node covers
 * a contiguous range of the sorted leaves, so sums and splits are array scans, never maps.
 * Level indices: 0 provider, 1 region, 2 target, 3 domain (the `zone` topology key).
 */
export const LEVEL_OF_KEY = { provider: 0, region: 1, target: 2, zone: 3 } as const;
export type TopologyKey = keyof typeof LEVEL_OF_KEY;
export const LEVELS = 4;

export interface LevelNodes {
  count: number;
  /** Children range in the next level (for the leaf level: unused). */
  childStart: Int32Array;
  childEnd: Int32Array;
  /** A stable display/tie-break name of the node. */
  name: string[];
  /** Leaves range of the node (leaves are sorted, so every node covers a contiguous run). */
  leafStart: Int32Array;
  leafEnd: Int32Array;
}

export interface Topology {
  leaves: Domain[];
  levels: LevelNodes[];
  /** For each leaf, the id of its zone group `(provider, region, zone)`; zone groups can span targets. */
  zoneGroup: Int32Array;
  zoneGroupCount: number;
  /** Number of leaves in each zone group. */
  zoneGroupSize: Int32Array;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Sort order of domains everywhere in the engine: provider, region, target, zone. */
export function compareDomains(a: Domain, b: Domain): number {
  return cmp(a.provider, b.provider) || cmp(a.region, b.region) || cmp(a.target, b.target) || cmp(a.zone, b.zone);
}

const pathOf = (d: Domain, level: number): string[] => [d.provider, d.region, d.target, d.zone].slice(0, level + 1);

export function buildTopology(domains: readonly Domain[]): Topology {
  const leaves = [...domains].sort(compareDomains);
  const n = leaves.length;
  // Node boundaries per level: a new node starts where the path prefix changes.
  const starts: number[][] = [[], [], [], []];
  for (let i = 0; i < n; i++) {
    const d = leaves[i]!;
    const p = i > 0 ? leaves[i - 1]! : undefined;
    for (let l = 0; l < LEVELS; l++) {
      const changed =
        !p ||
        d.provider !== p.provider ||
        (l >= 1 && d.region !== p.region) ||
        (l >= 2 && d.target !== p.target) ||
        (l >= 3 && d.zone !== p.zone);
      if (changed) starts[l]!.push(i);
    }
  }
  const levels: LevelNodes[] = [];
  for (let l = 0; l < LEVELS; l++) {
    const s = starts[l]!;
    const count = s.length;
    const childStart = new Int32Array(count);
    const childEnd = new Int32Array(count);
    const name: string[] = new Array(count);
    if (l < LEVELS - 1) {
      const next = starts[l + 1]!;
      let j = 0;
      for (let v = 0; v < count; v++) {
        const leafEnd = v + 1 < count ? s[v + 1]! : n;
        childStart[v] = j;
        while (j < next.length && next[j]! < leafEnd) j++;
        childEnd[v] = j;
      }
    }
    const leafStart = new Int32Array(count);
    const leafEnd = new Int32Array(count);
    for (let v = 0; v < count; v++) {
      name[v] = pathOf(leaves[s[v]!]!, l).join('/');
      leafStart[v] = s[v]!;
      leafEnd[v] = v + 1 < count ? s[v + 1]! : n;
    }
    levels.push({ count, childStart, childEnd, name, leafStart, leafEnd });
  }
  const groupIds = new Map<string, number>();
  const zoneGroup = new Int32Array(n);
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = leaves[i]!;
    const k = `${d.provider}\u0000${d.region}\u0000${d.zone}`;
    let g = groupIds.get(k);
    if (g === undefined) {
      g = groupIds.size;
      groupIds.set(k, g);
      sizes.push(0);
    }
    zoneGroup[i] = g;
    sizes[g]!++;
  }
  return { leaves, levels, zoneGroup, zoneGroupCount: groupIds.size, zoneGroupSize: Int32Array.from(sizes) };
}
