import nock from 'nock';
import { AciEmulator, aciProvider } from '../emulators/aci/index.js';
import { describeProviderContract } from './provider-contract.js';

// The real @azure/arm-containerinstance client against the ACI emulator (test/emulators/aci).
describeProviderContract('azure-aci', async () => {
  nock.disableNetConnect();
  const em = new AciEmulator();
  em.install();
  const fleet = 'contract-aci';
  return {
    fleet,
    zone: 'eastus-2',
    template: {
      containers: [
        {
          name: 'web',
          image: 'hello/web:1',
          env: [],
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: {},
        },
      ],
    },
    provider: () => aciProvider(em, fleet),
    // the SDK makes 4 attempts (3 retries) of a 5xx: all of them fail
    failNext: (kind) =>
      kind === 'retryable'
        ? em.serverErrors(4, 503)
        : em.faults.failNext(
            1,
            {
              status: 403,
              code: 'AuthorizationFailed',
              message:
                "The client 'skyfleet' does not have authorization to perform action 'Microsoft.ContainerInstance/containerGroups/write'.",
            },
            ['containerGroups.createOrUpdate'],
          ),
    tick: () => em.advance(1000),
    cleanup: async () => {
      em.uninstall();
      nock.enableNetConnect();
      if (em.violations.problems.length) throw new Error(`ACI model violations:\n${em.violations.problems.join('\n')}`);
    },
  };
});
