import { MemoryCloud, MemoryProvider } from '../../providers/memory/index.js';
import { memoryTargetSettings } from '../../providers/memory/settings.js';
import { describeProviderContract } from './provider-contract.js';

describeProviderContract('memory', async () => {
  const cloud = new MemoryCloud();
  const settings = memoryTargetSettings.parse({
    name: 'lab',
    kind: 'memory',
    provider: 'aws',
    region: 'eu-1',
    zones: ['a', 'b', 'c'],
  });
  const fleet = 'contract-mem';
  return {
    fleet,
    zone: 'b',
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
    provider: () => new MemoryProvider(settings, { fleet }, { cloud }),
    failNext: (kind) => cloud.failNext(1, { retryable: kind === 'retryable' }),
    cleanup: async () => {
      cloud.slices.clear();
    },
  };
});
