import { expect, it } from 'vitest';
import { ArmModelChecker } from '../../../emulators/azure-aci/arm-checker.js';

// The checker behind every "no model violations" assertion: it must actually catch problems.
// Definitions: containerInstance.2026-05-01.json ContainerGroup, ContainerGroupPropertiesProperties,
// ContainerProperties, ResourceRequests, EnvironmentVariable, IpAddress; 2023-05-01 overlay in arm-checker.ts.
it('finds missing required properties, bad enums and types, unknown properties and returned secrets', () => {
  const request = new ArmModelChecker('2023-05-01', 'request');
  const group = {
    location: 'eastus',
    properties: {
      restartPolicy: 'Sometimes',
      containers: [{ name: 'web', properties: { image: 'x', resources: { requests: { cpu: '1' } }, colour: 'red' } }],
      ipAddress: { ports: [{ port: 80.5 }] },
      secretReferences: [],
    },
  };
  expect(request.check('ContainerGroup', group).sort()).toEqual(
    [
      'properties.osType: required',
      'properties.restartPolicy: "Sometimes" is not one of "Always", "OnFailure", "Never"',
      'properties.containers[0].properties.resources.requests.memoryInGB: required',
      'properties.containers[0].properties.resources.requests.cpu: expected a number, got "1"',
      'properties.containers[0].properties.colour: not in the model (api-version 2023-05-01)',
      'properties.ipAddress.type: required',
      'properties.ipAddress.ports[0].port: expected an integer, got 80.5',
      'properties.secretReferences: not in the model (api-version 2023-05-01)',
    ].sort(),
  );
  // 2026-05-01 requires neither osType nor a container's image and knows secretReferences
  expect(
    new ArmModelChecker('2026-05-01', 'request').check('ContainerGroup', {
      properties: { containers: [{ name: 'a', properties: {} }], secretReferences: [] },
    }),
  ).toEqual([]);
  const response = new ArmModelChecker('2023-05-01', 'response');
  const leaked = {
    properties: {
      osType: 'Linux',
      containers: [
        {
          name: 'a',
          properties: {
            image: 'x',
            resources: { requests: { cpu: 1, memoryInGB: 1 } },
            environmentVariables: [{ name: 'K', secureValue: 'v' }],
          },
        },
      ],
    },
  };
  expect(response.check('ContainerGroup', leaked)).toEqual([
    'properties.containers[0].properties.environmentVariables[0].secureValue: a secret (x-ms-secret) returned in a response',
  ]);
  expect(response.check('CloudError', { error: { code: 'ResourceNotFound', message: 'gone' } })).toEqual([]);
});
