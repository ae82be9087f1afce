import { expect, it } from 'vitest';
import { replicaFromTask } from '../../../providers/aws-ecs/observe.js';

// An awsvpc task is reached on its own IP at the container port; a task whose container reports
// network bindings (bridge mode on EC2, and `skyfleet emulate`'s tasks on 127.0.0.1) is reached
// on the binding's address and host port.

const running = {
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/abc',
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  healthStatus: 'UNKNOWN' as const,
  attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: '10.0.0.7' }] }],
};
const ctx = { healthChecked: false, ports: [{ containerPort: 8080, name: 'http' }] };

it('an awsvpc task: its private IP and the container port', () => {
  expect(replicaFromTask(running, ctx).endpoints).toEqual([
    { host: '10.0.0.7', port: 8080, containerPort: 8080, portName: 'http' },
  ]);
});

it('a task with network bindings: the bound address and host port', () => {
  const task = {
    ...running,
    containers: [
      { networkBindings: [{ bindIP: '127.0.0.1', containerPort: 8080, hostPort: 32781, protocol: 'tcp' as const }] },
    ],
  };
  expect(replicaFromTask(task, ctx).endpoints).toEqual([
    { host: '127.0.0.1', port: 32781, containerPort: 8080, portName: 'http' },
  ]);
  // bound on every address: the task's own IP
  const any = {
    ...running,
    containers: [
      { networkBindings: [{ bindIP: '0.0.0.0', containerPort: 8080, hostPort: 49153, protocol: 'tcp' as const }] },
    ],
  };
  expect(replicaFromTask(any, ctx).endpoints[0]).toMatchObject({ host: '10.0.0.7', port: 49153 });
});
