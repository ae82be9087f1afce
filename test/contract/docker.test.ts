import type Docker from 'dockerode';
import { DockerProvider } from '../../providers/docker/index.js';
import { cleanupRun, ensureWebImage, newTestRun, testDocker } from '../helpers/docker/index.js';
import { describeProviderContract } from './provider-contract.js';

/**
 * The contract on a real Docker engine. Faults go through the provider's own error path: the
 * client fails its next call the way docker-modem does (a socket error, or the engine's 400).
 */
describeProviderContract('docker', async () => {
  const run = newTestRun();
  const docker = await testDocker();
  const image = await ensureWebImage(docker, '1');
  let fail: 'retryable' | 'terminal' | undefined;
  const faulty = new Proxy(docker, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (
        typeof v !== 'function' ||
        !['listContainers', 'createContainer', 'getContainer', 'getImage'].includes(String(prop))
      ) {
        return typeof v === 'function' ? v.bind(target) : v;
      }
      return (...args: unknown[]) => {
        const kind = fail;
        fail = undefined;
        if (kind === 'retryable') {
          return Promise.reject(
            Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), {
              code: 'ECONNREFUSED',
              errno: -111,
              syscall: 'connect',
            }),
          );
        }
        if (kind === 'terminal') {
          return Promise.reject(
            Object.assign(new Error('(HTTP code 400) unexpected - invalid reference format '), {
              statusCode: 400,
              json: { message: 'invalid reference format' },
              reason: 'bad parameter',
            }),
          );
        }
        return v.apply(target, args);
      };
    },
  }) as Docker;
  const fleet = run.fleet('contract');
  return {
    fleet,
    zone: 'local',
    template: {
      containers: [
        {
          name: 'web',
          image,
          env: [],
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: {},
          readinessProbe: {
            httpGet: { path: '/', port: 8080, scheme: 'HTTP' },
            periodSeconds: 1,
            timeoutSeconds: 1,
            failureThreshold: 3,
            successThreshold: 1,
            initialDelaySeconds: 0,
          },
        },
      ],
    },
    provider: () => new DockerProvider({ name: 'c1', kind: 'docker', zone: 'local' }, { fleet, docker: faulty }),
    failNext: (kind) => {
      fail = kind;
    },
    readyTimeoutMs: 30_000,
    cleanup: async () => {
      await cleanupRun(docker, run);
      for (const c of await docker.listContainers({ all: true, filters: { label: [`skyfleet.dev/fleet=${fleet}`] } })) {
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
      }
    },
  };
});
