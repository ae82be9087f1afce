/** One gate of a benchmark: a ratio against the strongest baseline of the same run. */
export interface Gate {
  name: string;
  ratio: number;
  target: number;
  ok: boolean;
}

/** Checks `ratio <= target` and prints one line that says what was compared and the verdict. */
export function gate(name: string, ratio: number, target: number): Gate {
  const ok = Number.isFinite(ratio) && ratio <= target;
  console.log(`${name}: ${ratio.toFixed(2)} (target <= ${target.toFixed(2)}) ${ok ? 'PASS' : 'FAIL'}`);
  return { name, ratio, target, ok };
}

/** Sets the exit code from the gates and prints a last line naming the misses. */
export function finish(gates: Gate[]): void {
  const missed = gates.filter((g) => !g.ok);
  if (missed.length) console.error(`missed: ${missed.map((g) => g.name).join('; ')}`);
  else console.log(`all ${gates.length} gate(s) met`);
  process.exitCode = missed.length ? 1 : 0;
}

export const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
