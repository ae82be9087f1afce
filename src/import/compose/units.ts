/** Compose durations ("1m30s", "10s", "500ms", "1h") in seconds, or undefined. */
export function composeSeconds(v: unknown): number | undefined {
  if (typeof v === 'number') return v >= 0 ? v : undefined;
  if (typeof v !== 'string' || !/^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/.test(v.trim())) return undefined;
  const f: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 };
  let total = 0;
  for (const m of v.trim().matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g)) total += Number(m[1]) * f[m[2]!]!;
  return total;
}

/** Compose byte values ("512m", "1gb", "2048k", 1024) in bytes, or undefined. Units are binary, as Docker's. */
export function composeBytes(v: unknown): number | undefined {
  if (typeof v === 'number') return v > 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg])?b?$/i.exec(v.trim());
  if (!m) return undefined;
  const f: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  const n = Number(m[1]) * f[(m[2] ?? 'b').toLowerCase()]!;
  return n > 0 ? Math.round(n) : undefined;
}

/** Bytes as a skyfleet memory quantity: "512Mi" when whole mebibytes, else the byte count. */
export function memoryQuantity(bytes: number): string | number {
  const mi = 1024 * 1024;
  if (bytes % (1024 * mi) === 0) return `${bytes / (1024 * mi)}Gi`;
  if (bytes % mi === 0) return `${bytes / mi}Mi`;
  return bytes;
}

/** Splits a command line as a POSIX shell would for plain words and quotes (no expansions). */
export function shellWords(line: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (quote) return undefined;
  if (has || cur) out.push(cur);
  return out;
}
