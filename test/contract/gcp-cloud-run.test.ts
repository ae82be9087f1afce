import nock from 'nock';
import { afterAll, beforeAll } from 'vitest';
import { runHarness } from '../emulators/cloud-run/index.js';
import { describeProviderContract } from './provider-contract.js';

// The real @google-cloud/run client (REST transport) against the stateful Cloud Run emulator behind nock.
beforeAll(() => nock.disableNetConnect());

describeProviderContract('gcp-cloud-run', async () => {
  const fleet = 'contract-gcr';
  // 3 attempts per call: failNext('retryable') fails exactly the attempts of one call
  const h = runHarness({ fleet, provider: { retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 } } });
  return {
    fleet,
    zone: h.settings.region,
    template: {
      containers: [
        {
          name: 'web',
          image: 'us-docker.pkg.dev/cloudrun/container/hello:1',
          env: [],
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: {},
        },
      ],
    },
    provider: () => h.provider(),
    failNext: (kind) =>
      kind === 'retryable'
        ? h.emulator.faults.failNext(3, {
            status: 503,
            code: 'UNAVAILABLE',
            message: 'The service is currently unavailable.',
          })
        : h.emulator.faults.failNext(1, {
            status: 403,
            code: 'PERMISSION_DENIED',
            message: "Permission 'run.services.get' denied on resource (or it may not exist).",
          }),
    tick: () => h.clock.advance(1000),
    cleanup: async () => {
      h.emulator.services.clear();
      h.close();
    },
  };
});

afterAll(() => {
  nock.enableNetConnect();
});
