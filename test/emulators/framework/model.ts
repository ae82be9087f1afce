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

/** Collects checker problems; an emulator in strict mode turns them into a thrown error in the test. */
export class ModelViolations {
  readonly problems: string[] = [];
  add(where: string, problems: readonly string[]): void {
    for (const p of problems) this.problems.push(`${where}: ${p}`);
  }
  clear(): void {
    this.problems.length = 0;
  }
}
