/** Kubernetes-style resource quantities: cpu "0.25" | "250m" | 0.5, memory "64Mi" | "1Gi" | "512M" | bytes. */

const CPU = /^(\d+(?:\.\d+)?)(m?)$/;
const MEM = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/;
const MEM_FACTORS: Record<string, number> = {
  '': 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

/** Millicores, or undefined when the text is not a cpu quantity. */
export function parseCpu(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : undefined;
  const m = CPU.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const millis = m[2] === 'm' ? n : n * 1000;
  return millis > 0 ? Math.round(millis) : undefined;
}

/** Bytes, or undefined when the text is not a memory quantity. */
export function parseMemory(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value) : undefined;
  const m = MEM.exec(value.trim());
  if (!m) return undefined;
  const bytes = Number(m[1]) * (MEM_FACTORS[m[2] ?? ''] ?? 1);
  return bytes > 0 ? Math.round(bytes) : undefined;
}

export const MiB = 1024 * 1024;
