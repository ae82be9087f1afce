// Setup file of the cloud and contract projects (vitest.config.ts): emulators are strict by
// default. Any request or response shape violation an emulator recorded during a test (ECS, ACI,
// Cloud Run: what the real API would never send or accept) fails that test, whether or not the
// test looks; a test that provokes one on purpose clears it (`em.violations.clear()`).
import { afterEach } from 'vitest';
import { takeViolations } from '../../../emulators/framework/model.js';

afterEach(() => {
  const problems = takeViolations();
  if (problems.length) {
    throw new Error(`emulator model violations (shapes the real API does not have):\n${problems.join('\n')}`);
  }
});
