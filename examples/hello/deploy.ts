// The same deployment from TypeScript, through the public API only.
// Build and run: npm run build && node dist/examples/hello/deploy.js [image]
import { createFleet, type DeploymentInput } from 'skyfleet';

const image = process.argv[2] ?? 'hello/web:1';

const web: DeploymentInput = {
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { team: 'shop' } },
  spec: {
    replicas: 3,
    template: {
      containers: [
        {
          name: 'web',
          image,
          env: [{ name: 'MODE', value: 'prod' }],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu: '0.25', memory: '64Mi' },
          readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1, failureThreshold: 3 },
        },
      ],
    },
    placement: { targets: [{ name: 'local' }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  },
};

const fleet = createFleet({
  name: 'hello',
  targets: [{ name: 'local', kind: 'docker' }],
  store: 'examples/hello/.skyfleet/state.db',
});
try {
  const result = await fleet.apply(web, {
    onProgress: (p) => console.log(`ready ${p.ready}/${p.replicas} (${p.phase})`),
  });
  const status = await fleet.status('web');
  console.log(`revision ${result.revision}: ${status.ready}/${status.replicas} ready`);
  for (const slice of status.slices) {
    for (const r of slice.replicaStatus)
      console.log(`  ${r.name} ${r.state} ${r.endpoints.map((e) => `http://${e.host}:${e.port}/`).join(' ')}`);
  }
} finally {
  await fleet.close();
}
