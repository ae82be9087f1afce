import nock from 'nock';
import { afterAll, beforeAll, expect } from 'vitest';
import { ecsTestbed } from '../emulators/ecs/index.js';
import { describeProviderContract } from './provider-contract.js';

// The real ECS SDK client against the stateful ECS emulator (test/emulators/ecs) behind nock.
beforeAll(() => nock.disableNetConnect());

const bed = ecsTestbed({ fleet: 'contract-ecs', maxAttempts: 2 });

afterAll(() => {
  expect(bed.emulator.violations.problems).toEqual([]);
  bed.close();
  nock.enableNetConnect();
});

describeProviderContract('aws-ecs', async () => ({
  fleet: bed.fleet,
  zone: 'us-east-1b',
  template: {
    containers: [
      {
        name: 'web',
        image: 'public.ecr.aws/nginx/nginx:1.27',
        env: [{ name: 'MODE', value: 'contract' }],
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        resources: { cpu: '250m', memory: '512Mi' },
        readinessProbe: {
          httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
          initialDelaySeconds: 0,
          periodSeconds: 10,
          timeoutSeconds: 2,
          failureThreshold: 3,
          successThreshold: 1,
        },
      },
    ],
  },
  provider: () => bed.provider(),
  // every attempt of the next call fails, so the SDK's own retries cannot hide it
  failNext: (kind) =>
    kind === 'retryable' ? bed.emulator.failNextWithServerError(bed.maxAttempts) : bed.emulator.denyNext(1),
  tick: () => bed.advance(2000),
  readyTimeoutMs: 10_000,
  cleanup: async () => {},
}));
