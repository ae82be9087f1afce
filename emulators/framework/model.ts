/**
 * A JSON-model checker: each cloud implements it against its own model file (botocore JSON for
 * ECS, the ARM/OpenAPI model for ACI, the discovery/proto model for Cloud Run). Emulators check the
 * requests they receive and the responses they send, so a provider that sends a field the real
 * service would reject, or an emulator that answers with a shape the real SDK would not parse,
 * fails a test instead of passing silently.
 */
export interface ModelChecker {
  /**
   * Problems with `value` as an instance of the model's shape `shapeName`, each a path and a message
   * (`containerDefinitions[0].healthCheck.interval: 400 is above the maximum 300`). Empty when it fits.
   */
  check(shapeName: string, value: unknown): string[];
}

/** Every ModelViolations made in this test file: the strict setup (strict.ts) checks them all. */
const live = new Set<ModelViolations>();

/** The problems every emulator recorded since the last call, cleared (for the strict setup). */
export function takeViolations(): string[] {
  const out: string[] = [];
  for (const v of live) {
    out.push(...v.problems);
    v.clear();
  }
  return out;
}

/**
 * Collects checker problems. Every test of the cloud and contract projects fails on any that are
 * left at its end (strict.ts, an afterEach); a test that provokes one on purpose clears it.
 */
export class ModelViolations {
  readonly problems: string[] = [];
  constructor() {
    live.add(this);
  }
  add(where: string, problems: readonly string[]): void {
    for (const p of problems) this.problems.push(`${where}: ${p}`);
  }
  clear(): void {
    this.problems.length = 0;
  }
}
