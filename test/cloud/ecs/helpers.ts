import type { DesiredSlice, ObservedSlice, Provider, SliceKey } from '../../../src/provider/provider.js';
import { type PodTemplate, podTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import type { EcsTestbed } from '../../emulators/ecs/index.js';

/** A web container template (defaults filled by the schema). */
export function webTemplate(
  overrides: Record<string, unknown> = {},
  image = 'public.ecr.aws/nginx/nginx:1.27',
): PodTemplate {
  return podTemplate.parse({
    containers: [
      {
        name: 'web',
        image,
        env: [{ name: 'MODE', value: 'prod' }],
        ports: [{ name: 'http', containerPort: 8080 }],
        resources: { cpu: '250m', memory: '512Mi' },
        readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2 },
        ...overrides,
      },
    ],
  });
}

export function sliceOf(
  fleet: string,
  deployment: string,
  zone: string,
  replicas: number,
  template = webTemplate(),
): DesiredSlice {
  const key: SliceKey = { fleet, deployment, revision: revisionOf(template), zone };
  return { key, replicas, template, labels: { team: 'web' } };
}

/**
 * Applies until the call succeeds (retrying retryable errors, as the reconciler would), then
 * advances the emulator clock until observe reports every replica ready. Bounded by `rounds`.
 */
export async function converge(
  bed: EcsTestbed,
  p: Provider,
  slices: DesiredSlice[],
  rounds = 60,
): Promise<ObservedSlice[]> {
  let last: ObservedSlice[] = [];
  const pending = new Set(slices.map((_, i) => i));
  for (let round = 0; round < rounds; round++) {
    for (const i of [...pending]) {
      try {
        await p.apply(slices[i]!);
        pending.delete(i);
      } catch (err) {
        if (!(err as { retryable?: boolean }).retryable) throw err;
      }
    }
    if (pending.size === 0) {
      try {
        last = await p.observe({ fleet: slices[0]!.key.fleet });
        const done = slices.every((s) => {
          const o = last.find(
            (x) =>
              x.key.deployment === s.key.deployment && x.key.zone === s.key.zone && x.key.revision === s.key.revision,
          );
          return o !== undefined && o.ready === s.replicas && o.replicas === s.replicas;
        });
        if (done) return last;
      } catch (err) {
        if (!(err as { retryable?: boolean }).retryable) throw err;
      }
    }
    bed.advance(2000);
  }
  throw new Error(
    `did not converge in ${rounds} rounds: ${JSON.stringify(last.map((s) => [s.key.deployment, s.key.zone, s.replicas, s.ready]))}`,
  );
}
