import { createFleet, type Fleet } from '../../src/index.js';
import type { DeploymentInput } from '../../src/spec/deployment.js';
import { BENCH_RUN } from './docker-bench.js';

/** The health check every side of a Docker benchmark uses (Swarm's, the loop's and skyfleet's probe). */
export const HEALTH_CMD = 'wget -q --spider http://127.0.0.1:8080/';

/** A fleet on the local engine with an in-memory store, named for this run. */
export function benchFleet(suffix: string): Fleet {
  return createFleet({
    name: `${BENCH_RUN}-${suffix}`,
    targets: [{ name: 'local', kind: 'docker' }],
    store: ':memory:',
  });
}

/**
 * `web`: the hello image on port 8080 with the same limits and readiness check as the Swarm
 * service and the `docker run` loop (HTTP GET /, every 1 s, 1 s timeout, 3 failures).
 */
export function webDeployment(
  image: string,
  replicas: number,
  rolling: { maxSurge: number | string; maxUnavailable: number | string } = { maxSurge: '25%', maxUnavailable: '25%' },
): DeploymentInput {
  return {
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { 'skyfleet.bench/run': BENCH_RUN } },
    spec: {
      replicas,
      strategy: { type: 'RollingUpdate', rollingUpdate: rolling },
      template: {
        containers: [
          {
            name: 'web',
            image,
            ports: [{ containerPort: 8080 }],
            resources: { cpu: '0.25', memory: '64Mi' },
            readinessProbe: {
              httpGet: { path: '/', port: 8080 },
              periodSeconds: 1,
              timeoutSeconds: 1,
              failureThreshold: 3,
            },
          },
        ],
      },
    },
  };
}

/** Ids of the replicas skyfleet reports ready (what its data planes route to). */
export async function readyIds(fleet: Fleet, name = 'web'): Promise<string[]> {
  const s = await fleet.status(name);
  return s.slices.flatMap((x) => x.replicaStatus.filter((r) => r.ready).map((r) => r.id));
}
