import { ECSClient } from '@aws-sdk/client-ecs';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { AwsEcsProvider, type AwsEcsProviderOptions } from '../../../providers/aws-ecs/index.js';
import { type AwsEcsTargetSettingsInput, awsEcsTargetSettings } from '../../../providers/aws-ecs/settings.js';
import { teeCallLogs, withEnvCallLog } from '../../../src/calllog/index.js';
import { currentCallScope, runInCallScope } from '../../../src/provider/kit/call-scope.js';
import { ManualClock } from '../framework/index.js';
import type { EcsEmulatorOptions } from '../../../emulators/aws-ecs/ecs-emulator.js';
import { EcsEmulator } from './ecs-emulator.js';

export const SUBNETS = {
  'subnet-0aaa1111': 'us-east-1a',
  'subnet-0bbb2222': 'us-east-1b',
  'subnet-0ccc3333': 'us-east-1c',
} as const;

export interface EcsTestbedOptions {
  fleet?: string;
  target?: string;
  /** SDK attempts per call (the client's retry strategy, no delay between attempts). */
  maxAttempts?: number;
  settings?: Partial<AwsEcsTargetSettingsInput>;
  emulator?: Partial<EcsEmulatorOptions>;
}

/**
 * An ECS emulator behind nock plus a real ECSClient with static credentials (no credential chain,
 * no IMDS) and a retry strategy without delays, and a factory for providers on it. Call
 * `nock.disableNetConnect()` in the test file; `close()` uninstalls the interceptors.
 */
export function ecsTestbed(options: EcsTestbedOptions = {}) {
  const clock = new ManualClock();
  const emulator = new EcsEmulator({
    clock,
    subnets: { ...SUBNETS },
    clusters: ['skyfleet'],
    ...options.emulator,
  }).install();
  const maxAttempts = options.maxAttempts ?? 3;
  const settings = awsEcsTargetSettings.parse({
    name: options.target ?? 'aws-east',
    kind: 'aws-ecs',
    region: 'us-east-1',
    cluster: 'skyfleet',
    subnets: {
      'us-east-1a': ['subnet-0aaa1111'],
      'us-east-1b': ['subnet-0bbb2222'],
      'us-east-1c': ['subnet-0ccc3333'],
    },
    securityGroups: ['sg-0123abcd'],
    executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    ...options.settings,
  });
  const client = new ECSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    retryStrategy: new ConfiguredRetryStrategy(maxAttempts, 0),
  });
  // $SKYFLEET_CALL_LOG: every provider on this client (built here or by a test) also logs to that file
  const envLog = withEnvCallLog();
  if (envLog) {
    client.middlewareStack.add(
      (next) => (args) => {
        const scope = currentCallScope();
        if (!scope?.recorder) return next(args);
        const recorder = scope.recorder.withLog(teeCallLogs(scope.recorder.log, envLog));
        return runInCallScope({ ...scope, recorder }, () => next(args));
      },
      { step: 'initialize', name: 'skyfleetEnvCallLog' },
    );
  }
  const fleet = options.fleet ?? 'fleet1';
  return {
    clock,
    emulator,
    client,
    settings,
    fleet,
    maxAttempts,
    provider: (extra: AwsEcsProviderOptions = {}) =>
      new AwsEcsProvider(settings, { fleet }, { client, clock, ...extra }),
    /** Advances emulated time and lets the emulator catch up. */
    advance(ms: number) {
      clock.advance(ms);
      emulator.tick();
    },
    close() {
      emulator.uninstall();
      client.destroy();
    },
  };
}
export type EcsTestbed = ReturnType<typeof ecsTestbed>;
