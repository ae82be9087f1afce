import type { PlacementResult } from './types.js';

const HEADERS = ['TARGET', 'ZONE', 'PROVIDER', 'REGION', 'STATUS', 'SCORE', 'REPLICAS'] as const;

/**
 * A fixed-width text table of every domain (like SkyPilot's optimizer table), for `skyfleet plan`.
 * STATUS is `eligible`, `returning` or `filtered (<filter>)`; REPLICAS shows `now -> policy` mid-return.
 * Reasons for filtered and returning domains follow the table, one per line.
 */
export function formatPlacementTable(result: PlacementResult): string {
  const rows = result.explain.map((e) => {
    const status = e.status ?? (e.considered ? 'eligible' : 'filtered');
    const replicas =
      e.desired !== undefined && e.desired !== e.replicas ? `${e.replicas} -> ${e.desired}` : String(e.replicas);
    return [
      e.target,
      e.zone,
      e.provider ?? '-',
      e.region ?? '-',
      status === 'filtered' && e.filter ? `filtered (${e.filter})` : status,
      e.score === undefined ? '-' : e.score.toFixed(1),
      replicas,
    ];
  });
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = new Set([5, 6]);
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(HEADERS), ...rows.map(line)];
  const total = result.explain.reduce((a, e) => a + e.replicas, 0);
  out.push(`total ${total} replicas${result.pending ? `, ${result.pending} more to move in later steps` : ''}`);
  for (const e of result.explain) {
    if (e.reason) out.push(`  ${e.target}/${e.zone}: ${e.reason}`);
  }
  for (const n of result.notes ?? []) out.push(`  note: ${n}`);
  return out.join('\n');
}
