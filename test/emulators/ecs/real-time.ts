import { ECSClient } from '@aws-sdk/client-ecs';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { EcsEmulatorOptions } from '../../../emulators/aws-ecs/ecs-emulator.js';
import { systemClock } from '../../../src/util/clock.js';
import { EcsEmulator } from './ecs-emulator.js';
import { SUBNETS } from './testbed.js';

/**
 * An ECS emulator installed behind nock on the system clock with millisecond task lifecycles, for
 * tests through `createFleet`, whose apply polls in real time (a ManualClock would never move).
 */
export function realTimeEcsEmulator(options: Partial<Omit<EcsEmulatorOptions, 'clock'>> = {}): EcsEmulator {
  return new EcsEmulator({
    clock: systemClock,
    subnets: { ...SUBNETS },
    clusters: ['skyfleet'],
    timings: { pendingAfterMs: 2, runningAfterMs: 5, healthyAfterMs: 5, stoppedAfterMs: 2, relaunchAfterMs: 50 },
    ...options,
  }).install();
}

/** An ECSClient with static test credentials (no credential chain, no IMDS) and retries without delay. */
export function testEcsClient(attempts = 3): ECSClient {
  return new ECSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    retryStrategy: new ConfiguredRetryStrategy(attempts, 0),
  });
}
