import { DockerProvider, dockerTargetSettings } from '../../providers/docker/index.js';
import { podTemplate } from '../../src/spec/deployment.js';
import { describeProviderContract } from '../contract/provider-contract.js';
import { cleanupRun, ensureWebImage, faultyDocker, newTestRun, testDocker } from '../helpers/docker/index.js';

// The provider contract (test/contract/provider-contract.ts) against the real Docker engine.
// Faults are injected by wrapping the dockerode client: the next call fails the way the engine
// would fail it (a refused socket, or an HTTP 400).
describeProviderContract('docker', async () => {
  const run = newTestRun();
  const docker = await testDocker();
  const image = await ensureWebImage(docker, '1');
  const faulty = faultyDocker(docker);
  const fleet = run.fleet('contract');
  const made: DockerProvider[] = [];
  return {
    fleet,
    zone: 'contract-dk',
    template: podTemplate.parse({
      metadata: { labels: run.labels },
      containers: [
        {
          name: 'web',
          image,
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: {
            httpGet: { path: '/', port: 8080 },
            periodSeconds: 1,
            timeoutSeconds: 1,
            failureThreshold: 3,
          },
        },
      ],
    }),
    provider: () => {
      const p = new DockerProvider(dockerTargetSettings.parse({ name: 'contract-dk', kind: 'docker' }), {
        fleet,
        docker: faulty.docker,
      });
      made.push(p);
      return p;
    },
    failNext: (kind) => faulty.failNext(kind),
    readyTimeoutMs: 30_000,
    cleanup: async () => {
      for (const p of made) await p.close();
      await cleanupRun(docker, run);
    },
  };
});
