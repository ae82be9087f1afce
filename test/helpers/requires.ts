import { it } from 'vitest';

/** Whether this run is CI's (CI=true, as CI services set it). */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI?.trim().toLowerCase();
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

/**
 * Tests that need something of the machine (nginx, a PostgreSQL server). When it is there,
 * returns true. When it is missing (`missing` says why): under CI a test that fails, naming what
 * is missing and how CI provides it; elsewhere a skipped test whose name says what was skipped
 * and why, and a console warning, so a local run says it loudly. Call it where tests are
 * collected (top level or a describe), and guard the tests with `.runIf(result)`.
 */
export function requires(what: string, missing: string | undefined, how: string): boolean {
  if (missing === undefined) return true;
  if (isCI()) {
    it(`${what} is available (under CI it must be: ${how})`, () => {
      throw new Error(`${what} is missing under CI: ${missing}. ${how}`);
    });
    return false;
  }
  console.warn(`\n*** SKIPPED: tests that need ${what}: ${missing}. ${how}; under CI this fails instead. ***\n`);
  it.skip(`SKIPPED, ${what} missing (${missing}): ${how}`, () => {});
  return false;
}
