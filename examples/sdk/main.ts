// skyfleet from a TypeScript program: validate, deploy with live progress, scale, roll out a new
// image, and clean up, with the errors a program must handle. Runs against the local Docker engine.
//
//   npm run build && bash examples/hello/image/build.sh 1 && bash examples/hello/image/build.sh 2
//   node dist/examples/sdk/main.js [image-v1] [image-v2]
//
// SKYFLEET_EXAMPLE_FLEET and SKYFLEET_EXAMPLE_STORE choose the fleet name and the store file.
import {
  createFleet,
  type DeploymentInput,
  isRetryable,
  type Progress,
  ProviderError,
  SkyfleetError,
  ValidationError,
} from 'skyfleet';

const [v1 = 'hello/web:1', v2 = 'hello/web:2'] = process.argv.slice(2);

/** The deployment, typed: the compiler checks the shape, createFleet's schema checks the values. */
const web = (image: string, replicas: number): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { example: 'sdk' } },
  spec: {
    replicas,
    template: {
      containers: [
        {
          name: 'web',
          image,
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu: '0.25', memory: '64Mi' },
          readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
        },
      ],
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  },
});

const onProgress = (p: Progress) => console.log(`  ${p.ready}/${p.replicas} ready of ${p.revision} (${p.phase})`);

/** Retries what failed for a reason that may pass (throttling, a timeout); anything else is thrown. */
async function retrying<T>(what: string, fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isRetryable(e) || attempt >= attempts) throw e;
      const provider = e instanceof ProviderError ? ` (${e.provider} ${e.providerCode ?? ''})` : '';
      console.log(`${what}: ${(e as Error).message}${provider}; retrying (${attempt}/${attempts - 1})`);
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

const fleet = createFleet({
  name: process.env.SKYFLEET_EXAMPLE_FLEET ?? 'sdk-example',
  targets: [{ name: 'local', kind: 'docker' }],
  store: process.env.SKYFLEET_EXAMPLE_STORE ?? 'examples/sdk/.skyfleet/state.db',
});

let exitCode = 0;
try {
  // 1. Bad input is a ValidationError whose issues name each field and the fix; nothing is written.
  const bad = web(v1, 2);
  (bad.spec as { replicas: number }).replicas = -1;
  try {
    await fleet.validate(bad);
    throw new Error('expected the spec to be refused');
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    console.log('refused as expected:');
    for (const issue of e.issues) console.log(`  ${issue.path}: ${issue.message}`);
  }

  // 2. Deploy two replicas, printing progress until they are ready.
  console.log(`apply: 2 replicas of ${v1}`);
  const first = await retrying('apply', () => fleet.apply(web(v1, 2), { onProgress }));
  console.log(`revision ${first.revision}: ${first.progress.ready}/${first.progress.replicas} ready`);

  // 3. Scale to three.
  console.log('scale: 3 replicas');
  const scaled = await retrying('scale', () => fleet.scale('web', 3, { onProgress }));
  console.log(`${scaled.progress.ready}/${scaled.progress.replicas} ready`);

  // 4. Roll out a new image: a rolling update, one extra replica at a time, none unavailable.
  console.log(`rollout: ${v2}`);
  const rolled = await retrying('rollout', () => fleet.apply(web(v2, 3), { onProgress }));
  const status = await fleet.status('web');
  console.log(`revision ${rolled.revision}: ${status.ready}/${status.replicas} ready`);
  for (const slice of status.slices)
    for (const r of slice.replicaStatus)
      console.log(`  ${r.name} ${r.state} ${r.endpoints.map((e) => `http://${e.host}:${e.port}/`).join(' ')}`);
  console.log(`history: ${(await fleet.history('web')).map((h) => `${h.number}:${h.revision}`).join(' ')}`);
} catch (e) {
  // Every error skyfleet throws is a SkyfleetError with a stable code.
  exitCode = 1;
  console.error(e instanceof SkyfleetError ? `failed (${e.code}): ${e.message}` : e);
} finally {
  // 5. Clean up: remove the deployment's containers, then close the store.
  const removed = await fleet.delete('web').catch((e: unknown) => {
    console.error(`cleanup failed: ${(e as Error).message}`);
    exitCode = 1;
    return undefined;
  });
  if (removed) console.log(`deleted: ${removed.removed.reduce((n, r) => n + r.replicas, 0)} replicas removed`);
  await fleet.close();
}
process.exitCode = exitCode;
